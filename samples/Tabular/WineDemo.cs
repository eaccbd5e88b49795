using System.Diagnostics;
using FluentAttrib;
using ScottPlot;
using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace Tabular;

/// <summary>Mean attribution of each feature, per method, for one class over the test wines of that class.</summary>
internal sealed record ClassAttribution(int Class, int Wines, IReadOnlyDictionary<string, double[]> ByMethod);

/// <summary>What the demo measured and drew.</summary>
internal sealed record WineResult(double TestAccuracy, IReadOnlyList<ClassAttribution> Classes, double MaxIgDelta,
    IReadOnlyList<(string Name, byte[] Content)> Figures);

/// <summary>
/// Captum's tabular recipe on the Wine data: a small MLP (13 → 16 → 3) trained on standardised features, then, for
/// each cultivar, IntegratedGradients, FeatureAblation and KernelShap of its logit on the test wines of that
/// cultivar, from the average training wine (all features 0), averaged per feature and drawn as a bar chart.
/// </summary>
internal static class WineDemo
{
    public static readonly string[] Methods = ["IntegratedGradients", "FeatureAblation", "KernelShap"];

    /// <summary>Trains the model (seeded, full batch, Adam) and returns it in evaluation mode.</summary>
    public static nn.Module<Tensor, Tensor> Train(Wine wine, int epochs = 300, int seed = 0, Device? device = null)
    {
        device ??= CPU;
        torch.manual_seed(seed);
        var model = nn.Sequential(("fc1", nn.Linear(13, 16)), ("relu", nn.ReLU()), ("fc2", nn.Linear(16, 3)));
        model.to(device);
        var trainX = wine.TrainX.to(device); // not disposed here: on the CPU it is the data set's own tensor
        var trainY = wine.TrainY.to(device);
        using var optimizer = optim.Adam(model.parameters(), lr: 0.01, weight_decay: 1e-3);
        model.train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(trainX), trainY);
            loss.backward();
            optimizer.step();
        }
        model.eval();
        return model;
    }

    public static double Accuracy(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return model.call(x).argmax(1).eq(y.to(x.device)).to(ScalarType.Float32).mean().item<float>();
    }

    /// <summary>Trains the model and attributes, on <paramref name="device"/> (default CPU): model and wines are moved there.</summary>
    public static WineResult Run(Wine wine, TextWriter log, int kernelShapSamples = 200, Device? device = null)
    {
        device ??= CPU;
        var clock = Stopwatch.StartNew();
        using var model = Train(wine, device: device);
        var testX = wine.TestX.to(device);
        double accuracy = Accuracy(model, testX, wine.TestY);
        log.WriteLine($"MLP 13 → 16 → 3 trained on {wine.TrainX.shape[0]} wines ({device.type}) in {clock.Elapsed.TotalSeconds:F1} s; " +
                      $"test accuracy {accuracy:P1} on {wine.TestX.shape[0]} wines.");

        // Attribute the class's logit (its probability saturates near 1 for most test wines, where removing one
        // feature changes it by almost nothing); 0 is the average training wine, as the features are standardised.
        var methods = new (string Name, AttributionMethod Method)[]
        {
            (Methods[0], IntegratedGradients.Steps(50).Baseline(0).ReturnDelta()),
            (Methods[1], FeatureAblation.Default.Baseline(0)),
            (Methods[2], KernelShap.Samples(kernelShapSamples).Baseline(0).Seed(0)),
        };
        var classes = new List<ClassAttribution>();
        var figures = new List<(string, byte[])>();
        double maxDelta = 0;
        for (int k = 0; k < Wine.ClassNames.Count; k++)
        {
            using var scope = NewDisposeScope();
            var x = wine.TestX[wine.TestY.eq(k)].to(device);
            var byMethod = new Dictionary<string, double[]>();
            foreach (var (name, method) in methods)
            {
                clock.Restart();
                using var attribution = Explain(model).For(k).With(method).Attribute(x);
                byMethod[name] = attribution.Value.mean([0]).to(ScalarType.Float64).cpu().data<double>().ToArray();
                if (attribution.Delta is { } delta) maxDelta = Math.Max(maxDelta, delta.abs().max().item<float>());
                log.WriteLine($"  {Wine.ClassNames[k]}: {name,-19} on {x.shape[0]} wines in {clock.Elapsed.TotalSeconds,5:F2} s");
            }
            var result = new ClassAttribution(k, (int)x.shape[0], byMethod);
            classes.Add(result);
            using var plot = Chart(result);
            string stem = $"wine_cultivar_{k}";
            figures.Add((stem + ".png", plot.GetImageBytes(900, 560, ImageFormat.Png)));
            figures.Add((stem + ".svg", System.Text.Encoding.UTF8.GetBytes(plot.GetSvgXml(900, 560))));
        }
        log.WriteLine($"Integrated Gradients' largest completeness error |Σ attributions − (logit(x) − logit(baseline))|: {maxDelta:E1}");
        return new WineResult(accuracy, classes, maxDelta, figures);
    }

    /// <summary>Horizontal grouped bars: one group per feature (top to bottom in the data's order), one bar per method.</summary>
    public static Plot Chart(ClassAttribution attribution)
    {
        const string font = "DejaVu Sans";
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int features = Wine.FeatureNames.Count, methods = Methods.Length;
        double group = methods + 1;
        for (int m = 0; m < methods; m++)
        {
            var values = attribution.ByMethod[Methods[m]];
            var bars = Enumerable.Range(0, features).Select(f => new Bar
            {
                Position = (features - 1 - f) * group + (methods - 1 - m),
                Value = values[f],
                FillColor = palette.GetColor(m),
                LineWidth = 0,
                Size = 0.9,
            }).ToArray();
            var plottable = plot.Add.Bars(bars);
            plottable.Horizontal = true;
            plottable.LegendText = Methods[m];
        }
        plot.Axes.Left.SetTicks(
            [.. Enumerable.Range(0, features).Select(f => (features - 1 - f) * group + (methods - 1) / 2.0)],
            [.. Wine.FeatureNames]);
        plot.Add.VerticalLine(0, 1, Colors.Black);
        plot.Title($"{Wine.ClassNames[attribution.Class]}: mean attribution over its {attribution.Wines} test wines");
        plot.XLabel("attribution to the class logit, from the average wine");
        plot.ShowLegend(Edge.Bottom);
        plot.Axes.Title.Label.FontName = font;
        foreach (var axis in new IAxis[] { plot.Axes.Left, plot.Axes.Bottom })
        {
            axis.Label.FontName = font;
            axis.TickLabelStyle.FontName = font;
        }
        plot.Legend.FontName = font;
        plot.HideGrid();
        return plot;
    }
}
