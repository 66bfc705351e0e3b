using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Pipeline;

/// <summary>A saved zip served in a separate process by an app that references only ML.NET packages and MLNet.GoogLeNet.Serving.</summary>
[Collection(TrainedPatternModel.Collection)]
public class ServingAppTests(TrainedPatternModel fixture)
{
    private static string ServingApp => RepositoryPaths.BuiltAssembly(Path.Combine("examples", "ServingApp"), "ServingApp");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Serving_app_predicts_the_same_labels_from_the_zip_without_torchsharp(bool savedForServing)
    {
        Assert.True(File.Exists(ServingApp), $"{ServingApp} was not built");
        string appFolder = Path.GetDirectoryName(ServingApp)!;
        // The serving assembly and ML.NET, not the library or TorchSharp (ServingAssemblyTests checks more).
        Assert.Empty(Directory.GetFiles(appFolder, "*Torch*", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(appFolder, "MLNet.GoogLeNet.Serving.dll")));
        Assert.False(File.Exists(Path.Combine(appFolder, "MLNet.GoogLeNet.dll")));

        string folder = Directory.CreateTempSubdirectory("googlenet-serve-").FullName;
        try
        {
            string zip = Path.Combine(folder, "model.zip");
            // Saved for serving (the path column alone), or the plain ML.NET way with the training schema: the path and
            // the label, which the pipeline maps to a key for training; the app gives the path alone either way.
            if (savedForServing)
                ModelFile.SaveForServing(fixture.Context, fixture.Model, zip);
            else
                fixture.Context.Model.Save(fixture.Model, fixture.TrainData.Schema, zip);
            var images = fixture.Images.Test.Select(r => r.ImagePath).ToList();
            var result = ProcessRunner.RunDotnet(ServingApp, [zip, .. images], TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, result.Error);

            var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(images.Count, lines.Length);
            var expected = fixture.Model.Transform(fixture.TestData).GetColumn<string>("PredictedLabel").ToList();
            for (int i = 0; i < images.Count; i++)
            {
                var fields = lines[i].Split('\t');
                Assert.Equal(images[i], fields[0]);
                Assert.Equal(expected[i], fields[1]);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Serving_app_says_what_to_do_with_a_zip_that_declares_no_image_path()
    {
        string folder = Directory.CreateTempSubdirectory("googlenet-serve-").FullName;
        try
        {
            // What an earlier version saved for a model trained from images in memory: the label alone.
            var labelOnly = new DataViewSchema.Builder();
            labelOnly.AddColumn("Label", TextDataViewType.Instance);
            string zip = Path.Combine(folder, "earlier.zip");
            fixture.Context.Model.Save(fixture.Model, labelOnly.ToSchema(), zip);
            var result = ProcessRunner.RunDotnet(ServingApp, [zip, fixture.Images.Test[0].ImagePath], TimeSpan.FromMinutes(1));
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("Cannot serve model", result.Error);
            Assert.Contains("'Label' (String)", result.Error);
            Assert.Contains("ModelFile.SaveForServing", result.Error);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Serving_app_reports_a_corrupt_zip()
    {
        string folder = Directory.CreateTempSubdirectory("googlenet-serve-").FullName;
        try
        {
            string zip = Path.Combine(folder, "broken.zip");
            File.WriteAllText(zip, "not a zip");
            var result = ProcessRunner.RunDotnet(ServingApp, [zip, fixture.Images.Test[0].ImagePath], TimeSpan.FromMinutes(1));
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("Cannot load model", result.Error);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
