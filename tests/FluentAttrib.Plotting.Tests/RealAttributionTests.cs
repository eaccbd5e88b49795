using SkiaSharp;
using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Plotting.Tests;

/// <summary>Figures drawn from attributions the library computes on a photo, not from made-up tensors.</summary>
public class RealAttributionTests
{
    private static readonly string PhotoPath = Path.Combine(AppContext.BaseDirectory, "Assets", "chelsea_60x40.png");

    /// <summary>A tiny CNN with fixed weights (seeded), in float64 so the result does not depend on vector units.</summary>
    private static Module<Tensor, Tensor> TinyCnn()
    {
        manual_seed(20261125);
        var model = Sequential(
            ("conv1", Conv2d(3, 6, 3, padding: 1)),
            ("relu1", ReLU()),
            ("conv2", Conv2d(6, 8, 3, padding: 1)),
            ("relu2", ReLU()),
            ("pool", AdaptiveAvgPool2d(2)),
            ("flatten", Flatten()),
            ("fc", Linear(32, 4)));
        model.to(ScalarType.Float64);
        model.eval();
        return model;
    }

    private static (SKBitmap Photo, Tensor Input) LoadPhoto()
    {
        var photo = SKBitmap.Decode(PhotoPath) ?? throw new FileNotFoundException(PhotoPath);
        var values = new double[3 * photo.Height * photo.Width];
        int plane = photo.Height * photo.Width;
        for (int y = 0; y < photo.Height; y++)
            for (int x = 0; x < photo.Width; x++)
            {
                var c = photo.GetPixel(x, y);
                values[y * photo.Width + x] = c.Red / 255.0;
                values[plane + y * photo.Width + x] = c.Green / 255.0;
                values[2 * plane + y * photo.Width + x] = c.Blue / 255.0;
            }
        return (photo, tensor(values, [1, 3, photo.Height, photo.Width], ScalarType.Float64));
    }

    [Fact]
    public void Saliency_and_integrated_gradients_on_a_photo()
    {
        var model = TinyCnn();
        var (photo, input) = LoadPhoto();
        using (photo)
        using (input)
        {
            using var saliency = Explain(model).For(2).With(Saliency.Default).Attribute(input);
            using var ig = Explain(model).For(2).With(IntegratedGradients.Steps(16)).Attribute(input);
            Assert.Equal([1L, 3, 40, 60], ig.Value.shape);
            var figure = saliency.Plot(ImageView.OriginalImage.WithTitle("Photo"), ImageView.HeatMap.WithTitle("Saliency").WithColorbar())
                .Beside(ig, ImageView.BlendedHeatMap.All.WithTitle("Integrated Gradients").WithColorbar(),
                    ImageView.MaskedImage.Positive.WithTitle("IG, positive mask"),
                    ImageView.AlphaScaling.AbsoluteValue.WithTitle("IG, alpha"))
                .Over(photo)
                .WithTitle("Tiny CNN, target 2")
                .WithSize(1000, 250);
            Snapshot.MatchPng(figure.ToPng(), "real_saliency_ig_photo");
        }
    }

    [Fact]
    public void Integrated_gradients_on_a_series_and_on_token_embeddings()
    {
        manual_seed(7);
        var conv = Sequential(("conv", Conv1d(2, 4, 5, padding: 2)), ("relu", ReLU()), ("pool", AdaptiveAvgPool1d(1)),
            ("flatten", Flatten()), ("fc", Linear(4, 2)));
        conv.to(ScalarType.Float64);
        var t = linspace(0, 4 * Math.PI, 80, dtype: ScalarType.Float64);
        using var series = stack([sin(t), cos(t / 2) * 0.5]).unsqueeze(0); // (1, 2, 80): channels first, as Conv1d takes it
        using var ig = Explain(conv).For(1).With(IntegratedGradients.Steps(16)).Attribute(series);
        var png = ig.Plot(TimeSeriesView.OverlayIndividual.All.WithColorbar()).Over(series)
            .WithChannelLabels("sin", "cos").WithTitle("IG of a Conv1d, target 1").WithSize(420, 360).ToPng();
        Snapshot.MatchPng(png, "real_ig_series");
        var combined = ig.Plot(TimeSeriesView.OverlayCombined.All).Over(series).WithChannelLabels("sin", "cos").WithSize(360, 220).ToPng();
        Snapshot.MatchPng(combined, "real_ig_series_combined");
        var colored = ig.Plot(TimeSeriesView.ColoredGraph.All).Over(series).WithSize(360, 260).ToPng();
        Snapshot.MatchPng(colored, "real_ig_series_colored");

        manual_seed(11);
        var head = Sequential(("fc1", Linear(6, 8)), ("tanh", Tanh()), ("fc2", Linear(8, 2)));
        head.to(ScalarType.Float64);
        string[] tokens = ["great", "plot", ",", "terrible", "<acting>"];
        var embeddings = randn(1, tokens.Length, 6, dtype: ScalarType.Float64);
        using var textAttr = Explain((Tensor e) => head.call(e.mean([1L]))).For(0).With(IntegratedGradients.Steps(16)).Attribute(embeddings);
        var figure = textAttr.PlotTokens(tokens).WithLabels(trueLabel: "0", predictedLabel: "0", probability: 0.71);
        Assert.Equal("0", figure.Records[0].AttributionLabel);
        var l2 = Math.Sqrt(figure.Records[0].Attributions.Sum(a => a * a));
        Assert.Equal(1, l2, 9);
        Assert.Contains("&lt;", figure.ToHtml().Replace("#acting", "&lt;", StringComparison.Ordinal));
        Snapshot.MatchPng(figure.WithSize(420, 150).ToPng(), "real_ig_tokens");
    }
}
