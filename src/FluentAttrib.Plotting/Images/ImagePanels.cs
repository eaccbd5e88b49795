using System.Globalization;
using ScottPlot;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

/// <summary>Builds the panels of an image figure: reads tensors, checks shapes, normalizes, colors.</summary>
internal static class ImagePanels
{
    internal sealed record Spec(Tensor? Attribution, ImageView View);

    public static AttributionImage[] Build(IReadOnlyList<Spec> specs, InputImage? image, int? example, ImageLayout layout,
        AttributionScale scale)
    {
        var firstNeedingImage = specs.FirstOrDefault(s => s.View.NeedsImage);
        if (firstNeedingImage is not null && image is null)
            throw new MissingInputException(
                $"The {firstNeedingImage.View} view draws the image: give it with Over(image). Only heat maps need no image.");
        var missing = specs.FirstOrDefault(s => s.View.UsesAttribution && s.Attribution is null);
        if (missing is not null) throw new MissingInputException($"The {missing.View} view needs an attribution.");

        // Read each attribution tensor once, even when several views show it.
        var read = new Dictionary<Tensor, TensorData>(ReferenceEqualityComparer.Instance);
        foreach (var s in specs)
            if (s.View.UsesAttribution && !read.ContainsKey(s.Attribution!))
                read[s.Attribution!] = TensorData.Read(s.Attribution!, "the attribution").SelectExample(example, 4, "the attribution");

        (int Height, int Width)? hint = null;
        if (read.Count > 0)
        {
            var any = read.Values.First();
            if (any.Rank == 2) hint = ((int)any.Shape[0], (int)any.Shape[1]);
        }
        var pixels = image?.Resolve(example, hint);
        (int Height, int Width)? match = pixels is null ? null : (pixels.Height, pixels.Width);

        var maps = new Dictionary<Tensor, (double[] Map, int Height, int Width)>(ReferenceEqualityComparer.Instance);
        foreach (var (tensor, data) in read)
        {
            var hwc = ImageTensors.ToHwc(data, layout, match, "the attribution");
            if (pixels is not null && (hwc.Height != pixels.Height || hwc.Width != pixels.Width))
                throw new AttributionShapeException(
                    $"The attribution is {hwc.Height}×{hwc.Width} (H×W, shape {data.ShapeText}) but the image is " +
                    $"{pixels.Height}×{pixels.Width}: they must match. Upsample layer attributions to the input size first, " +
                    "or check the layout (ImageLayout).");
            maps[tensor] = (AttributionNormalization.SumChannels(hwc.Values, hwc.Channels), hwc.Height, hwc.Width);
        }

        double sharedScale = double.NaN;
        if (scale.Kind == AttributionScaleKind.Shared)
        {
            var pooled = new List<double>();
            double outlier = AttributionNormalization.DefaultOutlierPercent;
            bool first = true;
            foreach (var s in specs.Where(s => s.View.UsesAttribution))
            {
                if (first) outlier = s.View.OutlierPercent;
                first = false;
                foreach (var v in AttributionNormalization.SelectSign(maps[s.Attribution!].Map, s.View.Sign)) pooled.Add(Math.Abs(v));
            }
            if (pooled.Count > 0) sharedScale = AttributionNormalization.CumulativeSumThreshold(pooled.ToArray(), 100 - outlier);
        }

        var panels = new AttributionImage[specs.Count];
        bool imageNoteGiven = false;
        for (int p = 0; p < specs.Count; p++)
        {
            var view = specs[p].View;
            var notes = new List<string>();
            NormalizedAttribution? normalized = null;
            int height, width;
            if (view.UsesAttribution)
            {
                var (map, h, w) = maps[specs[p].Attribution!];
                (height, width) = (h, w);
                normalized = scale.Kind switch
                {
                    AttributionScaleKind.PerPanel => AttributionNormalization.Normalize(map, view.Sign, view.OutlierPercent),
                    AttributionScaleKind.Shared => AttributionNormalization.NormalizeWith(map, view.Sign, sharedScale),
                    _ => AttributionNormalization.NormalizeWith(map, view.Sign, scale.Value),
                };
                notes.AddRange(Notes.For(normalized, scale));
            }
            else (height, width) = (pixels!.Height, pixels.Width);
            if (view.NeedsImage && pixels!.Note is { } imageNote && !imageNoteGiven)
            {
                notes.Add(imageNote);
                imageNoteGiven = true;
            }
            var colormap = view.EffectiveColormap;
            var range = CaptumColormaps.RangeFor(view.Sign);
            var bitmap = ImageComposer.Compose(view.Method, normalized?.Values, height, width, pixels, colormap, range, view.AlphaOverlay);
            var colorRange = ColorRange(range, normalized, scale);
            panels[p] = new AttributionImage(bitmap, view, colormap, colorRange, normalized, notes);
        }
        return panels;
    }

    /// <summary>Captum's (vmin, vmax), or the same range in attribution units when the scale is not per panel.</summary>
    internal static ScottPlot.Range ColorRange((double Min, double Max) range, NormalizedAttribution? normalized, AttributionScale scale)
    {
        if (scale.Kind == AttributionScaleKind.PerPanel || normalized is null || normalized.Scale == 0)
            return new ScottPlot.Range(range.Min, range.Max);
        return new ScottPlot.Range(range.Min * normalized.Scale, range.Max * normalized.Scale);
    }
}

/// <summary>The sentences figures print under a panel.</summary>
internal static class Notes
{
    public static IEnumerable<string> For(NormalizedAttribution normalized, AttributionScale scale)
    {
        if (normalized.IsEmpty)
        {
            yield return normalized.Sign switch
            {
                AttributionSign.Positive => "No positive attributions: nothing to show.",
                AttributionSign.Negative => "No negative attributions: nothing to show.",
                _ => "All attributions are zero: nothing to show.",
            };
            yield break;
        }
        bool stretched = scale.Kind is AttributionScaleKind.PerPanel or AttributionScaleKind.Shared;
        if (stretched && normalized.IsTiny)
            yield return string.Create(CultureInfo.InvariantCulture,
                $"Largest |attribution| is only {normalized.MaxAbsolute:0.##e+0}: colors stretch tiny values.");
        if (!stretched && normalized.ClippedCount > 0)
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{normalized.ClippedCount} value(s) beyond ±{normalized.Scale:G3} clipped to the end of the colormap.");
    }
}
