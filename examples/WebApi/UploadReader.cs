using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.ML.Data;
using MLNet.GoogLeNet;

namespace WebApi;

/// <summary>An upload read from a request: its bytes, or why it was refused (answered with 400).</summary>
public sealed record Upload(byte[]? Bytes, string? Error);

/// <summary>
/// Reads the image of a <c>POST /predict</c>: the one file of a multipart form, or the request body itself. Refuses, with
/// a message, what the model cannot score: nothing, more than the size limit, or bytes that are not a complete,
/// decodable image.
/// </summary>
public sealed class UploadReader(IOptions<ServingOptions> options)
{
    /// <summary>Room for the multipart boundaries and headers around the file.</summary>
    private const long FormOverhead = 64 * 1024;

    /// <summary>The largest multipart body read, for an image of at most <paramref name="maxUploadBytes"/>.</summary>
    public static long FormLimit(long maxUploadBytes) => maxUploadBytes + FormOverhead;

    public async Task<Upload> ReadAsync(HttpRequest request, CancellationToken cancellation)
    {
        long max = options.Value.MaxUploadBytes;
        string tooLarge = $"The image is larger than the limit of {max:N0} bytes.";
        if (request.ContentLength > FormLimit(max))
            return new Upload(null, tooLarge);
        byte[] bytes;
        try
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(cancellation);
                if (form.Files.Count != 1)
                    return new Upload(null, $"Send one image file in the form; it holds {form.Files.Count}.");
                var file = form.Files[0];
                if (file.Length > max)
                    return new Upload(null, tooLarge);
                using var memory = new MemoryStream();
                await file.CopyToAsync(memory, cancellation);
                bytes = memory.ToArray();
            }
            else
            {
                bytes = await ReadBodyAsync(request.Body, max, cancellation) ?? [];
                if (bytes.Length > max)
                    return new Upload(null, tooLarge);
            }
        }
        catch (InvalidDataException e)
        {
            // ReadFormAsync: a form over the length limit, or a malformed multipart body.
            return new Upload(null, $"The upload cannot be read as a form with one image file: {e.Message}");
        }
        catch (BadHttpRequestException e)
        {
            return new Upload(null, $"The upload cannot be read: {e.Message}");
        }
        if (bytes.Length == 0)
            return new Upload(null, "The upload is empty: send an image (png, jpeg, gif or bmp) as a form file or as the request body.");
        // The decoders fill the rows missing from a cut-off image with blank pixels and report success: the file is
        // checked to its end first, as training and predict check theirs.
        if (ImageFileCheck.Problem(bytes) is { } problem)
            return new Upload(null, $"The upload ({bytes.Length:N0} bytes) is not an image that can be scored: {problem}.");
        try
        {
            // Decoding here tells a file that is not an image from a model failure; the zip decodes it again as in training.
            using var image = MLImage.CreateFromStream(new MemoryStream(bytes));
        }
        catch (ArgumentException)
        {
            return new Upload(null, $"The upload ({bytes.Length:N0} bytes) is not an image that can be decoded (png, jpeg, gif or bmp).");
        }
        return new Upload(bytes, null);
    }

    /// <summary>The body, read up to one byte past <paramref name="max"/> (so that a longer body is seen as too large).</summary>
    private static async Task<byte[]?> ReadBodyAsync(Stream body, long max, CancellationToken cancellation)
    {
        using var memory = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellation)) > 0)
        {
            memory.Write(buffer, 0, read);
            if (memory.Length > max)
                break;
        }
        return memory.ToArray();
    }
}
