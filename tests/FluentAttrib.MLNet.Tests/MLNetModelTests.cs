using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using static TorchSharp.torch;

namespace FluentAttrib.MLNet.Tests;

public class MLNetModelTests
{
    private static readonly string[] Features = ["Size", "Age", "Noise", "Color", "Note"];

    /// <summary>A linear model (SDCA regression on the numbers and the one-hot colour) and its weight per Features slot name.</summary>
    private static (MLContext Ml, ITransformer Model, Dictionary<string, double> Weights) Linear()
    {
        var ml = new MLContext(seed: 0);
        var train = ml.Data.LoadFromEnumerable(TestData.Houses(300, 1));
        var model = TestData.NumericAndColor(ml).Append(ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 30)).Fit(train);
        var weights = model.LastTransformer.Model.Weights;
        VBuffer<ReadOnlyMemory<char>> names = default;
        model.Transform(train).Schema["Features"].GetSlotNames(ref names);
        var byName = new Dictionary<string, double>();
        int i = 0;
        foreach (var name in names.DenseValues()) byName[name.ToString()] = weights[i++];
        Assert.Equal(6, byName.Count);
        return (ml, model, byName);
    }

    private static double[,] ToArray(Tensor t)
    {
        var flat = t.to_type(ScalarType.Float64).data<double>().ToArray();
        int rows = (int)t.shape[0], cols = (int)t.shape[1];
        var result = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) result[r, c] = flat[r * cols + c];
        return result;
    }

    public static TheoryData<string> ExactMethods => ["KernelShap", "ShapleyValueSampling", "ShapleyValues", "FeatureAblation"];

    private static AttributionMethod Method(string name) => name switch
    {
        "KernelShap" => KernelShap.Samples(60).Seed(1),
        "ShapleyValueSampling" => ShapleyValueSampling.Samples(2).Seed(1),
        "ShapleyValues" => ShapleyValues.Default,
        "FeatureAblation" => FeatureAblation.Default,
        "FeaturePermutation" => FeaturePermutation.Default.Seed(1),
        "Lime" => Lime.Samples(60).Seed(1),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(ExactMethods))]
    public void Linear_model_attributions_are_its_exact_shapley_values(string method)
    {
        // For f(x) = b + Σ w·x with an independent background, feature i's Shapley value is w_i (x_i − mean over the
        // background of x_i); for the one-hot colour it is w[colour of x] − mean over the background of w[colour].
        var (ml, model, w) = Linear();
        var backgroundRows = TestData.Houses(25, 2);
        var explainedRows = TestData.Houses(6, 3);
        var explainer = MLNetModel.From(model, ml.Data.LoadFromEnumerable(backgroundRows));
        Assert.Equal(Features, explainer.FeatureNames);

        using var result = explainer.With(Method(method)).Attribute(ml.Data.LoadFromEnumerable(explainedRows));
        var phi = ToArray(result.Value);
        Assert.Equal(new long[] { 6, 5 }, result.Value.shape);
        double Color(string c) => w["ColorHot." + c];
        for (int r = 0; r < explainedRows.Count; r++)
        {
            var x = explainedRows[r];
            double[] expected =
            [
                w["Size"] * (x.Size - backgroundRows.Average(b => (double)b.Size)),
                w["Age"] * (x.Age - backgroundRows.Average(b => (double)b.Age)),
                w["Noise"] * (x.Noise - backgroundRows.Average(b => (double)b.Noise)),
                Color(x.Color) - backgroundRows.Average(b => Color(b.Color)),
                0,
            ];
            for (int f = 0; f < 5; f++) Assert.True(Math.Abs(phi[r, f] - expected[f]) < 2e-5, $"{method} row {r} {Features[f]}: {phi[r, f]} vs exact {expected[f]}");
            // The note is not used by the model: no attribution (exactly none where no regression or reordering is involved).
            if (method == "FeatureAblation") Assert.Equal(0, phi[r, 4]);
            else Assert.True(Math.Abs(phi[r, 4]) < 1e-7);
        }
    }

    [Fact]
    public void Base_value_and_predictions_are_the_models_own_scores()
    {
        var (ml, model, _) = Linear();
        var background = ml.Data.LoadFromEnumerable(TestData.Houses(10, 2));
        var rows = ml.Data.LoadFromEnumerable(TestData.Houses(4, 3));
        using var result = MLNetModel.From(model, background).With(FeatureAblation.Default).Attribute(rows);
        var own = model.Transform(rows).GetColumn<float>("Score").ToArray();
        var ownBackground = model.Transform(background).GetColumn<float>("Score").Average(s => (double)s);
        for (int r = 0; r < 4; r++)
        {
            Assert.Equal(own[r], result.Predictions[r], 5);
            Assert.Equal(ownBackground, result.BaseValues[r], 5);
        }
    }

    [Theory]
    [InlineData("KernelShap", 1e-4)]
    [InlineData("ShapleyValueSampling", 1e-9)]
    public void FastTree_attributions_add_up_to_prediction_minus_base_value(string method, double tolerance)
    {
        // Binary FastTree on numbers, colour and text; explains the probability. Shapley value sampling adds up exactly
        // (each permutation telescopes); Kernel SHAP up to the weight (10^6) that stands in for the exact constraint.
        var ml = new MLContext(seed: 0);
        var train = ml.Data.LoadFromEnumerable(TestData.Binary(400, 1));
        var model = TestData.Everything(ml)
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: 8, numberOfTrees: 30, minimumExampleCountPerLeaf: 5))
            .Fit(train);
        var explainer = MLNetModel.From(model, ml.Data.LoadFromEnumerable(TestData.Binary(20, 2))).Output("Probability");
        using var result = explainer.With(Method(method)).Attribute(ml.Data.LoadFromEnumerable(TestData.Binary(5, 3)));
        var phi = ToArray(result.Value);
        for (int r = 0; r < 5; r++)
        {
            double sum = Enumerable.Range(0, 5).Sum(f => phi[r, f]);
            Assert.True(Math.Abs(sum - (result.Predictions[r] - result.BaseValues[r])) < tolerance,
                $"row {r}: Σφ = {sum}, prediction − base = {result.Predictions[r] - result.BaseValues[r]}");
        }
        // Size drives the label most: it has the largest mean |attribution|; Noise is not in the label.
        double Mean(int f) => Enumerable.Range(0, 5).Average(r => Math.Abs(phi[r, f]));
        Assert.True(Mean(0) > Mean(2), $"mean |φ| Size {Mean(0)} vs Noise {Mean(2)}");
    }

    [Fact]
    public void Text_and_categorical_columns_are_one_feature_each()
    {
        // The label depends on the note ("garden" adds 1.5): the text column gets attribution as one feature.
        var ml = new MLContext(seed: 0);
        var train = ml.Data.LoadFromEnumerable(TestData.Houses(400, 1));
        var model = TestData.Everything(ml).Append(ml.Regression.Trainers.FastTree(numberOfLeaves: 8, numberOfTrees: 40)).Fit(train);
        var rows = TestData.Houses(8, 3);
        using var result = MLNetModel.From(model, ml.Data.LoadFromEnumerable(TestData.Houses(15, 2)))
            .With(ShapleyValueSampling.Samples(3).Seed(0)).Attribute(ml.Data.LoadFromEnumerable(rows));
        var phi = ToArray(result.Value);
        Assert.Equal(Features, result.FeatureNames);
        for (int r = 0; r < rows.Count; r++)
        {
            bool garden = rows[r].Note.Contains("garden", StringComparison.Ordinal);
            // A garden note raises the score above the background's average, any other note lowers it.
            Assert.True(garden ? phi[r, 4] > 0.5 : phi[r, 4] < 0, $"row {r} ({rows[r].Note}): φ(Note) = {phi[r, 4]}");
        }
        // Feature values: numbers as they are, text and categorical values as NaN.
        var values = ToArray(result.FeatureValues);
        Assert.Equal(rows[0].Size, values[0, 0], 6);
        Assert.True(double.IsNaN(values[0, 3]) && double.IsNaN(values[0, 4]));
    }

    [Fact]
    public void Multiclass_scores_are_explained_per_class_and_the_class_attributions_sum_to_zero()
    {
        // Class probabilities sum to 1 for every row, so the attributions of all classes cancel feature by feature.
        var ml = new MLContext(seed: 0);
        var train = ml.Data.LoadFromEnumerable(TestData.Classes(300, 1));
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(TestData.NumericAndColor(ml))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Fit(train);
        var explainer = MLNetModel.From(model, ml.Data.LoadFromEnumerable(TestData.Classes(12, 2)));
        Assert.Equal(3, explainer.ClassCount);
        var rows = ml.Data.LoadFromEnumerable(TestData.Classes(4, 3));
        var perClass = new double[3][,];
        for (int k = 0; k < 3; k++)
        {
            using var result = explainer.For(k).With(FeatureAblation.Default).Attribute(rows);
            perClass[k] = ToArray(result.Value);
            Assert.Equal(Target.Index(k), result.Target);
        }
        for (int r = 0; r < 4; r++)
            for (int f = 0; f < 5; f++)
                Assert.True(Math.Abs(perClass[0][r, f] + perClass[1][r, f] + perClass[2][r, f]) < 1e-6);
        Assert.True(Enumerable.Range(0, 4).Any(r => Math.Abs(perClass[0][r, 0]) > 1e-3), "Size matters to class 0");

        // One class per row: row r's attributions equal those of its class explained alone.
        using var perRow = explainer.For(2, 0, 1, 2).With(FeatureAblation.Default).Attribute(rows);
        var mixed = ToArray(perRow.Value);
        int[] classes = [2, 0, 1, 2];
        for (int r = 0; r < 4; r++)
            for (int f = 0; f < 5; f++) Assert.Equal(perClass[classes[r]][r, f], mixed[r, f], 9);
    }

    [Fact]
    public void Each_pass_is_scored_in_one_transform()
    {
        // Feature ablation of 3 rows × 5 features over 7 background rows: the rows themselves (1 each) and 5 ablated
        // copies per row (7 background rows each) in one Transform; then the rows and the all-absent row for the
        // predictions and base value.
        var (ml, model, _) = Linear();
        var counting = new CountingTransformer(model);
        var explainer = MLNetModel.From(counting, ml.Data.LoadFromEnumerable(TestData.Houses(7, 2)));
        int callsBefore = counting.Calls;
        long rowsBefore = counting.Rows;
        using var result = explainer.With(FeatureAblation.Default).Attribute(ml.Data.LoadFromEnumerable(TestData.Houses(3, 3)));
        Assert.Equal(2, counting.Calls - callsBefore);
        Assert.Equal(3 * (1 + 5 * 7) + (3 + 7), counting.Rows - rowsBefore);
    }

    [Fact]
    public void Feature_permutation_and_lime_run_on_the_same_rows()
    {
        var (ml, model, _) = Linear();
        var explainer = MLNetModel.From(model, ml.Data.LoadFromEnumerable(TestData.Houses(10, 2)));
        var rows = ml.Data.LoadFromEnumerable(TestData.Houses(8, 3));
        using var permutation = explainer.With(FeaturePermutation.Default.Seed(0)).Attribute(rows);
        var phi = ToArray(permutation.Value);
        Assert.All(Enumerable.Range(0, 8), r => Assert.Equal(0, phi[r, 4]));
        Assert.Contains(Enumerable.Range(0, 8), r => Math.Abs(phi[r, 0]) > 0.1);
        var reports = new List<AttributionProgress>();
        using var lime = explainer.With(Lime.Samples(40).Seed(0)).WithProgress(new SyncProgress(reports.Add)).Attribute(rows);
        Assert.Equal(new long[] { 8, 5 }, lime.Value.shape);
        Assert.NotEmpty(reports);
        Assert.Equal(reports[^1].Total, reports[^1].Completed);
    }

    [Fact]
    public void Split_slots_make_each_slot_of_a_vector_column_a_feature()
    {
        var ml = new MLContext(seed: 0);
        var houses = TestData.Houses(200, 1);
        var vectors = houses.Select(h => new VectorHouse { Numbers = [h.Size, h.Age, h.Noise], Label = h.Label }).ToList();
        var train = ml.Data.LoadFromEnumerable(vectors);
        var model = ml.Transforms.CopyColumns("Features", "Numbers").Append(ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 30)).Fit(train);
        var w = model.LastTransformer.Model.Weights;
        var background = vectors.Take(20).ToList();
        var explainer = MLNetModel.From(model, ml.Data.LoadFromEnumerable(background));
        Assert.Equal(["Numbers"], explainer.FeatureNames);
        var split = explainer.SplitSlots("Numbers");
        Assert.Equal(["Numbers[0]", "Numbers[1]", "Numbers[2]"], split.FeatureNames);
        var rows = vectors.Skip(50).Take(3).ToList();
        using var result = split.With(ShapleyValues.Default).Attribute(ml.Data.LoadFromEnumerable(rows));
        var phi = ToArray(result.Value);
        for (int r = 0; r < 3; r++)
            for (int s = 0; s < 3; s++)
                Assert.True(Math.Abs(phi[r, s] - w[s] * (rows[r].Numbers[s] - background.Average(b => (double)b.Numbers[s]))) < 2e-5);
        var values = ToArray(result.FeatureValues);
        Assert.Equal(rows[1].Numbers[2], values[1, 2], 6);
    }

    [Fact]
    public void Bad_arguments_are_typed_errors_naming_the_argument()
    {
        var (ml, model, _) = Linear();
        var background = ml.Data.LoadFromEnumerable(TestData.Houses(5, 2));
        var explainer = MLNetModel.From(model, background);
        var rows = ml.Data.LoadFromEnumerable(TestData.Houses(3, 3));

        Assert.Equal("background", Assert.Throws<ArgumentException>(() => MLNetModel.From(model, ml.Data.LoadFromEnumerable(new List<House>()))).ParamName);
        Assert.Equal("columns", Assert.Throws<ArgumentException>(() => explainer.Features("Size", "Nope")).ParamName);
        Assert.Equal("columns", Assert.Throws<ArgumentException>(() => explainer.Features("Size", "Size")).ParamName);
        Assert.Equal("split", Assert.Throws<ArgumentException>(() => explainer.SplitSlots("Size")).ParamName);
        Assert.Equal("column", Assert.Throws<ArgumentException>(() => explainer.Output("Nope")).ParamName);
        Assert.Throws<InvalidOperationException>(() => explainer.For(0));
        Assert.Equal("method", Assert.Throws<ArgumentException>(() => explainer.With(IntegratedGradients.Steps(10))).ParamName);
        Assert.Equal("method", Assert.Throws<ArgumentException>(() => explainer.With(KernelShap.Default.Baseline(1.0))).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() =>
            explainer.With(FeaturePermutation.Default).Attribute(ml.Data.LoadFromEnumerable(TestData.Houses(1, 3)))).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() =>
            explainer.With(FeatureAblation.Default).Attribute(ml.Data.LoadFromEnumerable(new List<House>()))).ParamName);
        var missing = ml.Data.LoadFromEnumerable(new[] { new { Size = 1f, Age = 2f } }.Select(a => new Partial { Size = a.Size, Age = a.Age }));
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => explainer.With(FeatureAblation.Default).Attribute(missing)).ParamName);

        var classes = ml.Data.LoadFromEnumerable(TestData.Classes(60, 1));
        var multi = ml.Transforms.Conversion.MapValueToKey("Label").Append(TestData.NumericAndColor(ml))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy()).Fit(classes);
        var multiExplainer = MLNetModel.From(multi, ml.Data.LoadFromEnumerable(TestData.Classes(5, 2)));
        Assert.Throws<InvalidOperationException>(() => multiExplainer.With(FeatureAblation.Default));
        Assert.Equal("classIndex", Assert.Throws<ArgumentOutOfRangeException>(() => multiExplainer.For(3)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() =>
            multiExplainer.For(0, 1).With(FeatureAblation.Default).Attribute(ml.Data.LoadFromEnumerable(TestData.Classes(3, 3)))).ParamName);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            explainer.With(FeatureAblation.Default).WithCancellation(cancelled.Token).Attribute(rows));
    }

    public sealed class VectorHouse
    {
        [VectorType(3)]
        public float[] Numbers { get; set; } = [];

        public float Label { get; set; }
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<AttributionProgress> report) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) => report(value);
    }

    public sealed class Partial
    {
        public float Size { get; set; }

        public float Age { get; set; }
    }
}

public class TorchSharpEqualityTests
{
    // Not Lime: its kernel weighs samples by their distance from the input in the input's space, which here is the
    // coalition (which features are present), in TorchSharp the feature values.
    public static TheoryData<string> Methods => ["KernelShap", "ShapleyValueSampling", "FeatureAblation"];

    [Theory]
    [MemberData(nameof(Methods))]
    public void With_one_background_row_the_ml_net_path_equals_the_same_method_on_the_same_model_in_torchsharp(string name)
    {
        // One background row is the baseline of the TorchSharp path: same method, same seed, same features, so the
        // same coalitions; the ML.NET model scores in float32, the TorchSharp copy of it in float64.
        var ml = new Microsoft.ML.MLContext(seed: 0);
        var houses = TestData.Houses(200, 1);
        var train = ml.Data.LoadFromEnumerable(houses);
        var model = ml.Transforms.Concatenate("Features", "Size", "Age", "Noise")
            .Append(ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 30)).Fit(train);
        var weights = model.LastTransformer.Model.Weights.Select(w => (double)w).ToArray();
        double bias = model.LastTransformer.Model.Bias;
        var backgroundRow = TestData.Houses(1, 2);
        var rows = TestData.Houses(5, 3);

        AttributionMethod method = name switch
        {
            "KernelShap" => KernelShap.Samples(40).Seed(3),
            "ShapleyValueSampling" => ShapleyValueSampling.Samples(4).Seed(3),
            _ => FeatureAblation.Default,
        };
        using var viaMLNet = MLNetModel.From(model, ml.Data.LoadFromEnumerable(backgroundRow)).Features("Size", "Age", "Noise")
            .With(method).Attribute(ml.Data.LoadFromEnumerable(rows));

        static double[] Row(House h) => [h.Size, h.Age, h.Noise];
        using var x = TorchSharp.torch.tensor(rows.SelectMany(Row).ToArray(), [5, 3], TorchSharp.torch.ScalarType.Float64);
        using var b = TorchSharp.torch.tensor(Row(backgroundRow[0]), [1, 3], TorchSharp.torch.ScalarType.Float64);
        using var w = TorchSharp.torch.tensor(weights, TorchSharp.torch.ScalarType.Float64);
        AttributionMethod torchMethod = method switch
        {
            KernelShap k => k.Baseline(b),
            ShapleyValueSampling s => s.Baseline(b),
            FeatureAblation f => f.Baseline(b),
            _ => throw new InvalidOperationException(),
        };
        using var viaTorch = Fluent.Explain((TorchSharp.torch.Tensor t) => t.matmul(w) + bias).With(torchMethod).Attribute(x);

        var a = viaMLNet.Value.data<double>().ToArray();
        var c = viaTorch.Value.data<double>().ToArray();
        double scale = c.Max(Math.Abs);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(a[i] - c[i]) <= 1e-5 * scale, $"{name} element {i}: ML.NET path {a[i]}, TorchSharp {c[i]}");
    }
}
