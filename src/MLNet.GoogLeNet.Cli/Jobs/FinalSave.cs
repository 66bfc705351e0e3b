using System.Globalization;
using Microsoft.ML;
using MLNet.GoogLeNet.Training;

namespace MLNet.GoogLeNet.Cli.Jobs;

/// <summary>
/// The save at the end of a training run, which must not lose the run when it fails (a full disk, a folder that cannot
/// be written, a path taken by a folder meanwhile): <see cref="ModelFile.SaveForServing"/> writes under a temporary name
/// and renames, so the file at the model path keeps what it held; the trained model is then saved to a fallback file
/// instead, and the error says where it is and where the run's last checkpoint is.
/// </summary>
internal static class FinalSave
{
    /// <summary>
    /// Saves <paramref name="model"/> to <paramref name="path"/>; when that fails, saves it to a new file in
    /// <paramref name="fallbackFolder"/> and throws.
    /// </summary>
    /// <param name="checkpointFolder">The run's checkpoint folder, or null: its latest checkpoint is named in the error.</param>
    /// <exception cref="IOException">The save to <paramref name="path"/> failed; the message says why, where the model was
    /// saved instead (or that it could not be), and what to do.</exception>
    public static void Save(MLContext context, ITransformer model, string path, string? checkpointFolder, string fallbackFolder)
    {
        try
        {
            ModelFile.SaveForServing(context, model, path);
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var message = new List<string> { $"Could not save the trained model to '{path}' ({e.Message.TrimEnd('.')}); that file is as it was." };
            string fallback = Path.Combine(fallbackFolder,
                string.Create(CultureInfo.InvariantCulture, $"googlenet-unsaved-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.zip"));
            try
            {
                ModelFile.SaveForServing(context, model, fallback);
                message.Add($"The trained model was saved to '{fallback}' instead: move it where it belongs.");
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                message.Add($"Saving it to '{fallback}' failed too ({again.Message.TrimEnd('.')}).");
            }
            if (checkpointFolder is not null && CheckpointFolder.Checkpoints(checkpointFolder).LastOrDefault() is { } checkpoint)
                message.Add($"The run's last checkpoint is '{checkpoint}': once there is room, the same command with --resume saves the model without training again.");
            else
                message.Add("Free some space or choose another --model, and train again (with --checkpoint-dir, a failed save can be redone with --resume).");
            throw new IOException(string.Join(" ", message), e);
        }
    }
}
