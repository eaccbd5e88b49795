using FluentAttrib.MLNet.Internal;
using Microsoft.ML;
using static TorchSharp.torch;

namespace FluentAttrib.MLNet;

/// <summary>
/// An ML.NET model, a class and a method, ready to attribute rows with <see cref="Attribute"/>. Optional: progress
/// and cancellation. Every option returns a new value.
/// </summary>
public sealed record MLNetAttributionRun
{
    internal MLNetAttributionRun(MLNetModel model, ClassTarget target, AttributionMethod method)
    {
        Model = model;
        ClassTarget = target;
        Method = method;
    }

    /// <summary>The model.</summary>
    public MLNetModel Model { get; }

    /// <summary>The method that will run.</summary>
    public AttributionMethod Method { get; }

    internal ClassTarget ClassTarget { get; }

    /// <summary>The target as the core API spells it (a class index, one per row, or none).</summary>
    public Target Target => ClassTarget.ToTarget();

    private IProgress<AttributionProgress>? ProgressSink { get; init; }

    private CancellationToken Token { get; init; }

    /// <summary>Reports progress (passes done out of passes planned) to <paramref name="progress"/>.</summary>
    public MLNetAttributionRun WithProgress(IProgress<AttributionProgress> progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return this with { ProgressSink = progress };
    }

    /// <summary>Stops between passes (and while reading or scoring rows) when <paramref name="cancellation"/> is cancelled.</summary>
    public MLNetAttributionRun WithCancellation(CancellationToken cancellation) => this with { Token = cancellation };

    /// <summary>
    /// Attributes the explained score of each row of <paramref name="rows"/> (which must have the background's
    /// columns) to the model's features.
    /// </summary>
    /// <exception cref="ArgumentException">No rows; a column missing or of another type; one class per row given
    /// for another number of rows; FeaturePermutation with a single row.</exception>
    /// <exception cref="OperationCanceledException">The cancellation token was cancelled.</exception>
    public TabularAttribution Attribute(IDataView rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var model = Model;
        var table = RowTable.Empty(model.BackgroundTable.Schema);
        table.Append(model.Background, "background", Token);
        int background = table.Count;
        if (background != model.BackgroundRowCount)
            throw new InvalidOperationException($"The background returned {background} rows now but {model.BackgroundRowCount} when the model was set up.");
        table.Append(rows, nameof(rows), Token);
        int n = table.Count - background;
        if (n == 0) throw new ArgumentException("There are no rows to explain.", nameof(rows));
        if (ClassTarget.PerRowIndices is { } perRow && perRow.Length != n)
            throw new ArgumentException($"{perRow.Length} classes were given (one per row) but there are {n} rows.", nameof(rows));

        var layout = model.Layout;
        int features = layout.Count;
        var forward = new CoalitionForward(table, background, layout, model.Scorer, Token);
        var run = Fluent.Explain(new Func<Tensor[], Tensor>(forward.Forward)).For(ClassTarget.ToTarget()).With(MethodSupport.Plan(Method, n, background)).WithCancellation(Token);
        if (ProgressSink is not null) run = run.WithProgress(ProgressSink);

        // Row r's code is r + 1 in every column: "this feature from explained row r"; 0 (the baseline) is "absent".
        var codes = new double[n * features];
        for (int r = 0; r < n; r++)
            for (int f = 0; f < features; f++) codes[r * features + f] = r + 1;
        Attribution attribution;
        using (var x = tensor(codes, [n, features], ScalarType.Float64)) attribution = run.Attribute(x);

        try
        {
            // The explained score of each row (every feature present) and the base value (every feature absent).
            var ends = new double[(n + 1) * features];
            Array.Copy(codes, ends, codes.Length);
            var scores = forward.Score(ends, n + 1);
            int width = model.Scorer.Width;
            var predictions = new double[n];
            var baseValues = new double[n];
            for (int r = 0; r < n; r++)
            {
                predictions[r] = ClassTarget.Select(scores, r, width);
                baseValues[r] = scores[n * width + (ClassTarget.SharedIndex ?? ClassTarget.PerRowIndices?[r] ?? 0)];
            }
            var values = new double[n * features];
            for (int r = 0; r < n; r++)
                for (int f = 0; f < features; f++)
                {
                    var feature = layout.Features[f];
                    values[r * features + f] = table.Columns[feature.Column].Number(background + r, feature.Slot);
                }
            var featureValues = tensor(values, [n, features], ScalarType.Float64);
            return new TabularAttribution(attribution, model.FeatureNames, featureValues, baseValues, predictions);
        }
        catch
        {
            attribution.Dispose();
            throw;
        }
    }
}
