using System.Diagnostics;
using FluentAttrib;
using FluentAttrib.MLNet;
using FluentAttrib.Plotting;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace MLNetTabular;

/// <summary>One wine as ML.NET reads it from sklearn's wine_data.csv: 13 measurements and the cultivar (0, 1, 2).</summary>
internal sealed class WineRow
{
    [LoadColumn(0)] public float Alcohol { get; set; }
    [LoadColumn(1)] public float MalicAcid { get; set; }
    [LoadColumn(2)] public float Ash { get; set; }
    [LoadColumn(3)] public float AlcalinityOfAsh { get; set; }
    [LoadColumn(4)] public float Magnesium { get; set; }
    [LoadColumn(5)] public float TotalPhenols { get; set; }
    [LoadColumn(6)] public float Flavanoids { get; set; }
    [LoadColumn(7)] public float NonflavanoidPhenols { get; set; }
    [LoadColumn(8)] public float Proanthocyanins { get; set; }
    [LoadColumn(9)] public float ColourIntensity { get; set; }
    [LoadColumn(10)] public float Hue { get; set; }
    [LoadColumn(11)] public float OD280OD315 { get; set; }
    [LoadColumn(12)] public float Proline { get; set; }
    [LoadColumn(13)] public float Cultivar { get; set; }
}

/// <summary>Mean |SHAP| and ML.NET's permutation importance of one feature.</summary>
internal sealed record FeatureImportance(string Feature, double MeanAbsShap, double PermutationLogLossIncrease);

/// <summary>What the sample measured and drew.</summary>
internal sealed record WineShapResult(
    double TestAccuracy,
    int TestWines,
    int BackgroundWines,
    string ExplainedClass,
    IReadOnlyList<FeatureImportance> Importance,
    double MaxAdditivityError,
    int WaterfallWine,
    double WaterfallBase,
    double WaterfallPrediction,
    TimeSpan ExplainTime,
    IReadOnlyList<(string Name, byte[] Png)> Figures);

/// <summary>
/// An ML.NET FastTree model (one-versus-all, 3 cultivars) on the Wine data, explained with Kernel SHAP through
/// FluentAttrib.MLNet against 40 training wines, drawn with the SHAP-style views, next to ML.NET's own permutation
/// feature importance.
/// </summary>
internal static class WineShap
{
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", "wine_data.csv");

    /// <summary>The feature columns with readable names (as the figures show them).</summary>
    public static readonly (string Column, string Name)[] Features =
    [
        ("Alcohol", "Alcohol"), ("MalicAcid", "Malic acid"), ("Ash", "Ash"), ("AlcalinityOfAsh", "Alcalinity of ash"),
        ("Magnesium", "Magnesium"), ("TotalPhenols", "Total phenols"), ("Flavanoids", "Flavanoids"),
        ("NonflavanoidPhenols", "Nonflavanoid phenols"), ("Proanthocyanins", "Proanthocyanins"),
        ("ColourIntensity", "Colour intensity"), ("Hue", "Hue"), ("OD280OD315", "OD280/OD315"), ("Proline", "Proline"),
    ];

    public static readonly string[] ClassNames = ["cultivar 0", "cultivar 1", "cultivar 2"];

    /// <exception cref="InvalidDataException">The file is not sklearn's wine_data.csv.</exception>
    public static IDataView Load(MLContext ml, string? path = null)
    {
        path ??= DefaultPath;
        var first = File.ReadLines(path).FirstOrDefault();
        if (first != "178,13,class_0,class_1,class_2")
            throw new InvalidDataException($"{path} does not start with sklearn's wine header '178,13,class_0,class_1,class_2'.");
        var data = ml.Data.LoadFromTextFile<WineRow>(path, separatorChar: ',', hasHeader: true);
        long rows = data.GetColumn<float>(nameof(WineRow.Cultivar)).LongCount();
        if (rows != 178) throw new InvalidDataException($"{path} should hold 178 wines, not {rows}.");
        return data;
    }

    public static WineShapResult Run(TextWriter log, string? path = null, int samples = 300)
    {
        var ml = new MLContext(seed: 0);
        var split = ml.Data.TrainTestSplit(Load(ml, path), testFraction: 0.25, seed: 0);
        var columns = Features.Select(f => f.Column).ToArray();

        // FastTree is a binary trainer: one-versus-all makes it a 3-class model whose Score holds one probability per class.
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", nameof(WineRow.Cultivar))
            .Append(ml.Transforms.Concatenate("Features", columns))
            .Append(ml.MulticlassClassification.Trainers.OneVersusAll(
                ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: 4, numberOfTrees: 50, minimumExampleCountPerLeaf: 5)));
        var clock = Stopwatch.StartNew();
        var model = pipeline.Fit(split.TrainSet);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
        int testWines = (int)split.TestSet.GetColumn<float>(nameof(WineRow.Cultivar)).LongCount();
        log.WriteLine($"FastTree (one-versus-all, 50 trees of 4 leaves per class) trained in {clock.Elapsed.TotalSeconds:F1} s; " +
                      $"test accuracy {metrics.MicroAccuracy:P1} on {testWines} wines.");

        // Background: 40 training wines (SHAP's advice: a small sample of the training data stands for "absent").
        var background = ml.Data.TakeRows(ml.Data.ShuffleRows(split.TrainSet, seed: 1), 40);
        var explainer = MLNetModel.From(model, background).Features(columns);
        const int explainedClass = 0;
        clock.Restart();
        using var shap = explainer.For(explainedClass).With(KernelShap.Samples(samples).Seed(0)).Attribute(split.TestSet);
        var explainTime = clock.Elapsed;
        log.WriteLine($"Kernel SHAP ({samples} coalitions per wine, {shap.BaseValues.Count} wines, 40 background wines) of the " +
                      $"{ClassNames[explainedClass]} probability in {explainTime.TotalSeconds:F1} s.");

        var names = Features.Select(f => f.Name).ToArray();
        var phi = shap.Value.to_type(ScalarType.Float64).data<double>().ToArray();
        int n = shap.BaseValues.Count, features = names.Length;
        double maxAdditivity = Enumerable.Range(0, n).Max(r =>
            Math.Abs(Enumerable.Range(0, features).Sum(f => phi[r * features + f]) - (shap.Predictions[r] - shap.BaseValues[r])));

        // ML.NET's own explanation: how much the log-loss grows when one feature's column is shuffled.
        var pfi = ml.MulticlassClassification.PermutationFeatureImportance(model.LastTransformer, model.Transform(split.TestSet),
            permutationCount: 5);
        var importance = Enumerable.Range(0, features)
            .Select(f => new FeatureImportance(names[f],
                Enumerable.Range(0, n).Average(r => Math.Abs(phi[r * features + f])),
                pfi[f].LogLoss.Mean))
            .ToArray();

        // The waterfall of the test wine with the highest cultivar-0 probability.
        int wine = Enumerable.Range(0, n).MaxBy(r => shap.Predictions[r]);
        var figures = new List<(string, byte[])>
        {
            ("wine_shap_beeswarm.png", shap.Attribution.Plot(TabularView.Beeswarm).Over(shap.FeatureValues).WithFeatureNames(names)
                .WithTitle($"Kernel SHAP of P({ClassNames[explainedClass]}), {n} test wines").ToPng()),
            ("wine_shap_bar.png", shap.Attribution.Plot(TabularView.Bar).WithFeatureNames(names).ToPng()),
            ("wine_shap_waterfall.png", shap.Attribution.Plot(TabularView.Waterfall).Over(shap.FeatureValues).WithFeatureNames(names)
                .WithBaseValue(shap.BaseValues[wine]).ForExample(wine).ToPng()),
            ("wine_shap_dependence_proline.png", shap.Attribution.Plot(TabularView.Dependence("Proline").WithColorFeature("Flavanoids"))
                .Over(shap.FeatureValues).WithFeatureNames(names).ToPng()),
        };
        return new WineShapResult(metrics.MicroAccuracy, testWines, explainer.BackgroundRowCount, ClassNames[explainedClass], importance,
            maxAdditivity, wine, shap.BaseValues[wine], shap.Predictions[wine], explainTime, figures);
    }
}
