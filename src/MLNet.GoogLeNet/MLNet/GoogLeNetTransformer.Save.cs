using Microsoft.ML;

namespace MLNet.GoogLeNet;

public sealed partial class GoogLeNetTransformer
{
    /// <summary>Saving is not implemented yet: it needs the ONNX exporter (next step).</summary>
    public void Save(ModelSaveContext ctx) =>
        throw new NotSupportedException("Saving a GoogLeNet model is not implemented yet: it needs the ONNX exporter.");
}
