using Microsoft.Extensions.Options;
using MLNet.GoogLeNet;

namespace WebApi;

/// <summary>An upload read from a request: its bytes, or why it was refused and the status to answer with.</summary>
public sealed record Upload(byte[]? Bytes, string? Error, int Status = StatusCodes.Status400BadRequest)
{
    public static Upload Refused(string error, int status = StatusCodes.Status400BadRequest) => new(null, error, status);
}

/// <summary>
/// Reads the image of a <c>POST /predict</c>: the one file of a multipart form, or the request body itself. Refuses, with
/// a message, what the model cannot score: nothing, more than the size limit (413), or bytes that are not a complete
/// image. It does not decode the image: the model zip does, once, when it scores the file.
/// </summary>
public sealed class UploadReader(IOptions<ServingOptions> options)
{
    /// <summary>Room for the multipart boundaries and headers around the file.</summary>
    private const long FormOverhead = 64 * 1024;

    /// <summary>
    /// The largest request body read, for an image of at most <paramref name="maxUploadBytes"/>: the server's body
    /// limit and the multipart form limit, both set from <see cref="ServingOptions.MaxUploadBytes"/> (Program.cs).
    /// </summary>
    public static long BodyLimit(long maxUploadBytes) => maxUploadBytes + FormOverhead;

    public async Task<Upload> ReadAsync(HttpRequest request, CancellationToken cancellation)
    {
        long max = options.Value.MaxUploadBytes;
        var tooLarge = Upload.Refused(
            $"The image is larger than the limit of {max:N0} bytes (the service's MaxUploadBytes setting).", StatusCodes.Status413PayloadTooLarge);
        if (request.ContentLength > BodyLimit(max))
            return tooLarge;
        byte[] bytes;
        try
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(cancellation);
                if (form.Files.Count != 1)
                    return Upload.Refused($"Send one image file in the form; it holds {form.Files.Count}.");
                var file = form.Files[0];
                if (file.Length > max)
                    return tooLarge;
                bytes = new byte[file.Length];
                await using var stream = file.OpenReadStream();
                await stream.ReadExactlyAsync(bytes, cancellation);
            }
            else
            {
                bytes = await ReadBodyAsync(request.Body, max, cancellation);
                if (bytes.Length > max)
                    return tooLarge;
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // The server's body limit: a body without a Content-Length (chunked) that went on past it.
            return tooLarge;
        }
        catch (BadHttpRequestException e)
        {
            return Upload.Refused($"The upload cannot be read: {e.Message}", e.StatusCode);
        }
        catch (InvalidDataException e)
        {
            // ReadFormAsync: a malformed multipart body, or a form section over the form limit.
            return Upload.Refused($"The upload cannot be read as a form with one image file: {e.Message}");
        }
        if (bytes.Length == 0)
            return Upload.Refused("The upload is empty: send an image (png, jpeg, gif or bmp) as a form file or as the request body.");
        // The decoders fill the rows missing from a cut-off image with blank pixels and report success, and a header
        // of a hundred bytes can announce gigabytes of pixels: the file is checked to its end, and its size read from
        // its header, before anything decodes it, as training and predict check theirs.
        if (ImageFileCheck.Problem(bytes) is { } problem)
            return Upload.Refused($"The upload ({bytes.Length:N0} bytes) is not an image that can be scored: {problem}.");
        return new Upload(bytes, null);
    }

    /// <summary>The body, read up to one byte past <paramref name="max"/> (so that a longer body is seen as too large).</summary>
    private static async Task<byte[]> ReadBodyAsync(Stream body, long max, CancellationToken cancellation)
    {
        using var memory = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, max + 1 - memory.Length)), cancellation)) > 0)
        {
            memory.Write(buffer, 0, read);
            if (memory.Length > max)
                break;
        }
        return memory.ToArray();
    }
}
