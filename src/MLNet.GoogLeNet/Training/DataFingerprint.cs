using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Data;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// What a checkpoint records of the training data, so that a resume on other data is refused: the row count, a hash of
/// every row's label in the data's own order, and a hash of the first <see cref="ImagesHashed"/> rows' features. It is
/// computed from the data view <c>Fit</c> is given, before any shuffling, so it does not depend on where the rows came
/// from (IDX files, an image folder, memory). Reading every label costs one pass over the label column alone (no image is
/// decoded for it); only the first few rows' images are decoded.
/// </summary>
/// <remarks>
/// It tells data sets apart that differ in size, in any label or in the first images; two data sets with the same
/// labels in the same order and the same first images but other images later are taken for the same.
/// </remarks>
/// <param name="Rows">Rows with a label, as training reads them.</param>
/// <param name="Labels">SHA-256 of the labels' key values in row order, hexadecimal.</param>
/// <param name="FirstImages">SHA-256 of the feature values of the first <see cref="ImagesHashed"/> labelled rows, hexadecimal.</param>
internal sealed record DataFingerprint(long Rows, string Labels, string FirstImages)
{
    /// <summary>How many rows' features the fingerprint hashes: enough to tell other images apart, few enough to cost nothing.</summary>
    public const int ImagesHashed = 16;

    /// <summary>The fingerprint of <paramref name="data"/>'s <paramref name="labelColumn"/> and <paramref name="featureColumn"/>.</summary>
    public static DataFingerprint Of(IDataView data, string featureColumn, string labelColumn)
    {
        var label = data.Schema[labelColumn];
        var features = data.Schema[featureColumn];
        using var labels = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var images = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var cursor = data.GetRowCursor([label, features]);
        var key = KeyReader.Create(cursor, label);
        var featureGetter = cursor.GetGetter<VBuffer<float>>(features);
        var value = default(VBuffer<float>);
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        long rows = 0;
        while (cursor.MoveNext())
        {
            ulong k = key();
            if (k == 0)
                continue;  // a missing label: training skips the row
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, k);
            labels.AppendData(bytes);
            if (rows < ImagesHashed)
            {
                featureGetter(ref value);
                images.AppendData(MemoryMarshal.AsBytes(value.DenseValues().ToArray().AsSpan()));
            }
            rows++;
        }
        return new DataFingerprint(rows, Convert.ToHexString(labels.GetHashAndReset()), Convert.ToHexString(images.GetHashAndReset()));
    }

    /// <summary>
    /// How the data of this fingerprint (the checkpoint's) differs from <paramref name="now"/>'s, as one phrase, or null
    /// when they are taken for the same.
    /// </summary>
    public string? Difference(DataFingerprint now) =>
        Rows != now.Rows ? string.Create(CultureInfo.InvariantCulture, $"the training data has {Rows} labelled rows in the checkpoint and {now.Rows} now")
        : Labels != now.Labels ? string.Create(CultureInfo.InvariantCulture, $"the training data's labels differ from the checkpoint's (both have {Rows} rows)")
        : FirstImages != now.FirstImages ? string.Create(CultureInfo.InvariantCulture,
            $"the training data's images differ from the checkpoint's (its first {Math.Min(Rows, ImagesHashed)} images are other images)")
        : null;
}
