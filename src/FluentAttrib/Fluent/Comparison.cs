using System.Diagnostics;
using System.Globalization;
using System.Text;
using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

public static partial class Fluent
{
    /// <summary>
    /// Compares attribution methods on a model:
    /// <c>Compare(model).For(target).Methods(...).Metrics(...).On(inputs)</c> runs every method on the inputs, scores
    /// each attribution with every metric and returns a <see cref="ComparisonReport"/> (methods × metrics, mean ± spread,
    /// time, the most faithful method per metric).
    /// </summary>
    public static Comparison Compare(nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new Comparison(Explain(model), Target.None, [], []);
    }
}

/// <summary>
/// A comparison of attribution methods under evaluation metrics, built step by step (every step returns a new value):
/// <see cref="For"/> the target, <see cref="Methods"/>, <see cref="Metrics"/>, then <see cref="On"/> the inputs.
/// </summary>
public sealed record Comparison
{
    internal Comparison(Explainer explainer, Target target, AttributionMethod[] methods, EvaluationMetric[] metrics)
    {
        Explainer = explainer;
        Target = target;
        MethodList = methods;
        MetricList = metrics;
    }

    internal Explainer Explainer { get; }

    /// <summary>The target explained and scored.</summary>
    public Target Target { get; init; }

    internal AttributionMethod[] MethodList { get; init; }
    internal (string Name, Func<Tensor, Tensor> Attribute)[] CustomList { get; init; } = [];
    internal EvaluationMetric[] MetricList { get; init; }
    private IProgress<AttributionProgress>? ProgressSink { get; init; }
    private CancellationToken Token { get; init; }

    /// <summary>Explains and scores <paramref name="target"/> (e.g. one class per example).</summary>
    public Comparison For(Target target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return this with { Target = target };
    }

    /// <summary>The methods to compare (each named by its <see cref="ConfigurableMethod.Describe"/>).</summary>
    /// <exception cref="ArgumentException">No method given.</exception>
    public Comparison Methods(params AttributionMethod[] methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        if (methods.Length == 0 || methods.Any(m => m is null)) throw new ArgumentException("Give at least one method, none null.", nameof(methods));
        return this with { MethodList = methods };
    }

    /// <summary>
    /// Adds an attribution computed by <paramref name="attribute"/> (inputs → attribution of the input's shape, or
    /// (B, 1, H, W) for images), named <paramref name="name"/>: e.g. a layer method upsampled to the input, such as
    /// Grad-CAM. Metrics that explain again (<see cref="ExplanationMetric"/>s) need a method and score it NaN.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public Comparison Method(string name, Func<Tensor, Tensor> attribute)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(attribute);
        return this with { CustomList = [.. CustomList, (name, attribute)] };
    }

    /// <summary>
    /// The metrics: <see cref="AttributionMetric"/>s and <see cref="ExplanationMetric"/>s (localisation metrics need a
    /// ground truth: pass it to <see cref="On(Tensor, Tensor?)"/>). A metric that returns a curve is summarised per
    /// example by its area (Deletion, Insertion: the mean of the curve's trapezoids; pixel flipping, region perturbation,
    /// selectivity: the trapezoid area; ROAD: the mean over percentages; model-parameter randomisation: |similarity|
    /// with every layer randomised).
    /// </summary>
    /// <exception cref="ArgumentException">No metric given.</exception>
    public Comparison Metrics(params EvaluationMetric[] metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Length == 0 || metrics.Any(m => m is null)) throw new ArgumentException("Give at least one metric, none null.", nameof(metrics));
        return this with { MetricList = metrics };
    }

    /// <summary>Reports progress: one unit per method attribution and per (method, metric) evaluation.</summary>
    public Comparison WithProgress(IProgress<AttributionProgress> progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return this with { ProgressSink = progress };
    }

    /// <summary>Stops between steps when <paramref name="cancellation"/> is cancelled.</summary>
    public Comparison WithCancellation(CancellationToken cancellation) => this with { Token = cancellation };

    /// <summary>Runs every method on <paramref name="inputs"/> and scores it with every metric.</summary>
    /// <param name="inputs">The batch.</param>
    /// <param name="groundTruth">The masks (or Focus's quadrant flags) for localisation metrics, else null.</param>
    /// <exception cref="InvalidOperationException">No method or no metric was chosen.</exception>
    /// <exception cref="ArgumentException">A localisation metric without a ground truth.</exception>
    public ComparisonReport On(Tensor inputs, Tensor? groundTruth = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (MethodList.Length == 0 && CustomList.Length == 0) throw new InvalidOperationException("Choose the methods first: Methods(...).");
        if (MetricList.Length == 0) throw new InvalidOperationException("Choose the metrics first: Metrics(...).");
        if (groundTruth is null && MetricList.OfType<LocalisationMetric>().FirstOrDefault() is { } loc)
            throw new ArgumentException($"{loc.Name} needs a ground truth: pass it to On(inputs, groundTruth).", nameof(groundTruth));
        var targeted = Explainer.For(Target);
        var entries = MethodList.Select(m => (Name: m.Describe(), Method: (AttributionMethod?)m, Custom: (Func<Tensor, Tensor>?)null))
            .Concat(CustomList.Select(c => (c.Name, Method: (AttributionMethod?)null, Custom: (Func<Tensor, Tensor>?)c.Attribute))).ToArray();
        int total = entries.Length * (1 + MetricList.Length), done = 0;
        var rows = new List<ComparisonReport.Row>();
        foreach (var (entryName, method, custom) in entries)
        {
            Token.ThrowIfCancellationRequested();
            var run = targeted.With(method ?? MetricOnly.Instance).WithCancellation(Token);
            var watch = Stopwatch.StartNew();
            Tensor a;
            if (custom is not null)
            {
                a = custom(inputs)?.detach() ?? throw new InvalidOperationException($"The attribution function '{entryName}' returned null.");
            }
            else
            {
                using var attribution = run.Attribute(inputs);
                a = attribution.Value.detach();
            }
            var attributionTime = watch.Elapsed;
            ProgressSink?.Report(new AttributionProgress("Compare", ++done, total));
            var cells = new List<ComparisonReport.Cell>();
            foreach (var metric in MetricList)
            {
                Token.ThrowIfCancellationRequested();
                watch.Restart();
                using var scope = NewDisposeScope();
                var (m, curve) = metric is IReturnAucSetting ? (WithCurve(metric), true) : (metric, false);
                if (m is ExplanationMetric && method is null)
                {
                    cells.Add(new ComparisonReport.Cell(metric.Describe(), Enumerable.Repeat(double.NaN, (int)inputs.shape[0]).ToArray(), null, TimeSpan.Zero));
                    ProgressSink?.Report(new AttributionProgress("Compare", ++done, total));
                    continue;
                }
                var scores = m switch
                {
                    LocalisationMetric l => run.Evaluate(l, inputs, a, groundTruth!),
                    ExplanationMetric e => run.Evaluate(e, inputs, a),
                    AttributionMetric p => run.Evaluate(p, inputs, a),
                    _ => throw new ArgumentException($"Unknown metric type {m.GetType().Name}.", "metrics"),
                };
                var rowsOf = MetricMath.Rows(scores.dim() == 1 ? scores.unsqueeze(1) : scores);
                var perExample = rowsOf.Select(r => r.Length == 1 && !curve && !metric.AlwaysCurve ? r[0] : metric.Summarise(r)).ToArray();
                double[]? meanCurve = scores.dim() == 2 && scores.shape[1] > 1
                    ? Enumerable.Range(0, rowsOf[0].Length).Select(k => rowsOf.Average(r => r[k])).ToArray()
                    : null;
                cells.Add(new ComparisonReport.Cell(metric.Describe(), perExample, meanCurve, watch.Elapsed));
                ProgressSink?.Report(new AttributionProgress("Compare", ++done, total));
            }
            rows.Add(new ComparisonReport.Row(entryName, attributionTime, cells));
            a.Dispose();
        }
        return new ComparisonReport(rows, MetricList.Select(m => m.Describe()).ToArray(), MetricList.Select(m => m.HigherIsBetter).ToArray());
    }

    private static EvaluationMetric WithCurve(EvaluationMetric metric) => (EvaluationMetric)metric.WithValues(metric.Values with { ReturnAuc = false });
}

/// <summary>
/// The result of <see cref="Comparison.On"/>: per method and metric the per-example scores, their mean and standard
/// deviation, the mean curve of curve metrics, and the time taken; <see cref="MostFaithful"/> names the best method per
/// metric, <see cref="ToString"/> prints the table.
/// </summary>
public sealed class ComparisonReport
{
    internal sealed record Cell(string Metric, double[] Scores, double[]? Curve, TimeSpan Time);

    internal sealed record Row(string Method, TimeSpan AttributionTime, IReadOnlyList<Cell> Cells);

    private readonly IReadOnlyList<Row> _rows;
    private readonly bool[] _higherIsBetter;

    internal ComparisonReport(IReadOnlyList<Row> rows, string[] metrics, bool[] higherIsBetter)
    {
        _rows = rows;
        Metrics = metrics;
        _higherIsBetter = higherIsBetter;
    }

    /// <summary>The methods, as described, in the order given.</summary>
    public IReadOnlyList<string> Methods => _rows.Select(r => r.Method).ToArray();

    /// <summary>The metrics, as described, in the order given.</summary>
    public IReadOnlyList<string> Metrics { get; }

    /// <summary>Whether a higher score of metric <paramref name="metric"/> (its index) is better.</summary>
    public bool HigherIsBetter(int metric) => _higherIsBetter[metric];

    /// <summary>The per-example scores of method <paramref name="method"/> under metric <paramref name="metric"/> (indices); a curve metric's are its areas.</summary>
    public IReadOnlyList<double> Scores(int method, int metric) => _rows[method].Cells[metric].Scores;

    /// <summary>The mean score over the examples (NaN scores ignored).</summary>
    public double Mean(int method, int metric) => Finite(Scores(method, metric)) is { Length: > 0 } v ? v.Average() : double.NaN;

    /// <summary>The standard deviation of the scores over the examples (NaN scores ignored).</summary>
    public double StdDev(int method, int metric)
    {
        var v = Finite(Scores(method, metric));
        if (v.Length < 2) return 0;
        double mean = v.Average();
        return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
    }

    /// <summary>The curve of a curve metric averaged over the examples (e.g. a deletion curve), or null.</summary>
    public IReadOnlyList<double>? Curve(int method, int metric) => _rows[method].Cells[metric].Curve;

    /// <summary>The time the method's attribution took.</summary>
    public TimeSpan AttributionTime(int method) => _rows[method].AttributionTime;

    /// <summary>The time the metric's evaluation of the method took.</summary>
    public TimeSpan MetricTime(int method, int metric) => _rows[method].Cells[metric].Time;

    /// <summary>The index of the method with the best mean score under metric <paramref name="metric"/> (ties: the first).</summary>
    public int MostFaithful(int metric)
    {
        int best = 0;
        for (int m = 1; m < _rows.Count; m++)
        {
            double a = Mean(m, metric), b = Mean(best, metric);
            if (double.IsNaN(b) || (_higherIsBetter[metric] ? a > b : a < b)) best = m;
        }
        return best;
    }

    private static double[] Finite(IReadOnlyList<double> v) => v.Where(double.IsFinite).ToArray();

    /// <summary>The table: one row per method, one column per metric (mean ± standard deviation, time), then the most faithful method per metric.</summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        var header = new List<string> { "method", "attribution time" };
        header.AddRange(Metrics.Select((m, j) => $"{m} {(_higherIsBetter[j] ? "↑" : "↓")}"));
        var table = new List<string[]> { header.ToArray() };
        for (int i = 0; i < _rows.Count; i++)
        {
            var line = new List<string> { _rows[i].Method, $"{AttributionTime(i).TotalSeconds.ToString("0.00", ci)} s" };
            for (int j = 0; j < Metrics.Count; j++)
                line.Add($"{Mean(i, j).ToString("0.0000", ci)} ± {StdDev(i, j).ToString("0.0000", ci)} ({MetricTime(i, j).TotalSeconds.ToString("0.00", ci)} s)");
            table.Add(line.ToArray());
        }
        var widths = Enumerable.Range(0, header.Count).Select(c => table.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var (r, index) in table.Select((r, i) => (r, i)))
        {
            sb.Append("| ").Append(string.Join(" | ", r.Select((cell, c) => cell.PadRight(widths[c])))).AppendLine(" |");
            if (index == 0) sb.Append("|").Append(string.Join("|", widths.Select(w => new string('-', w + 2)))).AppendLine("|");
        }
        sb.AppendLine();
        for (int j = 0; j < Metrics.Count; j++)
            sb.AppendLine($"Most faithful by {Metrics[j]}: {_rows[MostFaithful(j)].Method}");
        return sb.ToString();
    }
}
