using MLNet.GoogLeNet.IO;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using OxyPlot.SkiaSharp;

namespace MLNet.GoogLeNet.Cli.Output;

/// <summary>PNG charts of a training run and of an evaluation (OxyPlot, rendered with SkiaSharp).</summary>
internal static class Charts
{
    /// <summary>Loss (left axis) and train/test accuracy (right axis) per epoch.</summary>
    public static void WriteTrainingCurves(IReadOnlyList<EpochReport> epochs, string path)
    {
        var model = new PlotModel { Title = "GoogLeNet training", Background = OxyColors.White };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightMiddle });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "epoch", MajorStep = 1, MinorStep = 1, Minimum = 0.5, Maximum = epochs.Count + 0.5 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "loss", Key = "loss", Minimum = 0 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Right, Title = "accuracy", Key = "accuracy", Minimum = 0, Maximum = 1 });

        var loss = new LineSeries { Title = "loss", YAxisKey = "loss", MarkerType = MarkerType.Circle, Color = OxyColors.Firebrick };
        var train = new LineSeries { Title = "train acc", YAxisKey = "accuracy", MarkerType = MarkerType.Square, Color = OxyColors.SteelBlue };
        var test = new LineSeries { Title = "test acc", YAxisKey = "accuracy", MarkerType = MarkerType.Diamond, Color = OxyColors.SeaGreen };
        foreach (var e in epochs)
        {
            loss.Points.Add(new DataPoint(e.Epoch, e.Loss));
            train.Points.Add(new DataPoint(e.Epoch, e.TrainAccuracy));
            if (e.ValidationAccuracy is { } accuracy)
                test.Points.Add(new DataPoint(e.Epoch, accuracy));
        }
        model.Series.Add(loss);
        model.Series.Add(train);
        if (test.Points.Count > 0)
            model.Series.Add(test);
        Write(model, path, 800, 500);
    }

    /// <summary>The confusion matrix as a heat map with counts; rows are actual classes, columns predicted.</summary>
    public static void WriteConfusionMatrix(EvaluationReport report, string path)
    {
        int n = report.Classes.Count;
        var model = new PlotModel { Title = $"Confusion matrix ({report.Images} images, accuracy {report.MicroAccuracy:P1})", Background = OxyColors.White };
        model.Axes.Add(new LinearColorAxis { Position = AxisPosition.Right, Palette = OxyPalette.Interpolate(100, OxyColors.White, OxyColors.SteelBlue), Minimum = 0 });
        var predicted = new CategoryAxis { Position = AxisPosition.Bottom, Title = "predicted", Key = "x", Angle = -30, GapWidth = 0 };
        var actual = new CategoryAxis { Position = AxisPosition.Left, Title = "actual", Key = "y", StartPosition = 1, EndPosition = 0, GapWidth = 0 };
        predicted.Labels.AddRange(report.Classes);
        actual.Labels.AddRange(report.Classes);
        model.Axes.Add(predicted);
        model.Axes.Add(actual);

        var data = new double[n, n];
        for (int a = 0; a < n; a++)
        for (int p = 0; p < n; p++)
            data[p, a] = report.ConfusionMatrix[a][p];  // HeatMapSeries indexes [x, y]
        model.Series.Add(new HeatMapSeries
        {
            X0 = 0, X1 = n - 1, Y0 = 0, Y1 = n - 1, Data = data, XAxisKey = "x", YAxisKey = "y",
            RenderMethod = HeatMapRenderMethod.Rectangles, LabelFormatString = "0", LabelFontSize = 0.25,
        });
        int size = Math.Max(500, 60 * n + 200);
        Write(model, path, size + 100, size);
    }

    private static void Write(PlotModel model, string path, int width, int height) =>
        AtomicFile.Write(path, stream => new PngExporter { Width = width, Height = height }.Export(model, stream));
}
