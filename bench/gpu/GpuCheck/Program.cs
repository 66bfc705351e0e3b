// The GPU check (docs/gpu.md): run by bench/gpu/run-on-gpu.sh from the bundle bench/gpu/bundle.sh builds, against the
// GPU machine's own libtorch. Exit code 0 when every bound held, 1 when one failed, 2 when it could not run.
using MLNet.GoogLeNet.GpuCheck;
using MLNet.GoogLeNet.Native;
using TorchSharp;

CheckOptions options;
try
{
    options = CheckOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"gpu-check: {e.Message}\n{CheckOptions.Usage}");
    return 2;
}

var report = new CheckReport(options.Out, rehearsal: !options.Cuda);
TorchRuntime.EnsureLoaded();
report.Fact("torchsharp", typeof(torch).Assembly.GetName().Version?.ToString() ?? "?");
report.Fact("libstdcxx_fix", LibTorchSharpLoaded());
bool cuda = torch.cuda.is_available();
report.Fact("cuda.available", cuda);
if (options.Cuda)
{
    report.Holds("cuda.seen", cuda, cuda ? $"{torch.cuda.device_count()} device(s)" : "torch.cuda.is_available() is false");
    if (!cuda)
        return 1;
}
var device = options.Cuda ? torch.CUDA : torch.CPU;
report.Fact("device", device.ToString());

string scratch = Directory.CreateTempSubdirectory("gpu-check-").FullName;
try
{
    report.Attempt("agreement", () => DeviceAgreement.Run(report, device));
    new PipelineChecks(report, options, scratch).Run();
}
finally
{
    Directory.Delete(scratch, recursive: true);
}
Console.WriteLine(report.AllPassed ? "gpu-check: every bound held" : "gpu-check: a bound failed (FAIL above)");
return report.AllPassed ? 0 : 1;

static string LibTorchSharpLoaded() =>
    LibTorchSharpLoader.PatchedCopy is { } copy ? $"LibTorchSharp loaded through the GLIBCXX_3.4.32 fix ({copy})" : "LibTorchSharp loaded as shipped";
