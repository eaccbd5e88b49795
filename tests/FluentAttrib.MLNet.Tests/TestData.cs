using Microsoft.ML;
using Microsoft.ML.Data;

namespace FluentAttrib.MLNet.Tests;

/// <summary>A small synthetic table: three numbers, a colour (categorical), a short text, and a label of the task's type.</summary>
public class HouseRow<TLabel>
{
    public float Size { get; set; }

    public float Age { get; set; }

    public float Noise { get; set; }

    public string Color { get; set; } = "";

    public string Note { get; set; } = "";

    public TLabel Label { get; set; } = default!;

    /// <summary>The same house with the label <paramref name="label"/> of another task.</summary>
    public T With<T, TOther>(TOther label) where T : HouseRow<TOther>, new() =>
        new() { Size = Size, Age = Age, Noise = Noise, Color = Color, Note = Note, Label = label };
}

/// <summary>A house with a price (regression).</summary>
public sealed class House : HouseRow<float>;

/// <summary>A house with an expensive / cheap label (binary classification).</summary>
public sealed class HouseClass : HouseRow<bool>;

/// <summary>A house with a price band 0, 1 or 2 (multiclass).</summary>
public sealed class HouseKind : HouseRow<uint>;

internal static class TestData
{
    public static readonly string[] Colors = ["red", "green", "blue"];
    public static readonly string[] Notes = ["quiet street", "near the station", "garden and pool", "needs repair"];

    /// <summary>
    /// Rows whose value is 3·Size − 2·Age + colour effect + note effect + small noise; a fixed seed per call.
    /// The first three rows hold the colours in order (so one-hot slots are red, green, blue).
    /// </summary>
    public static List<House> Houses(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new List<House>();
        for (int i = 0; i < count; i++)
        {
            var h = new House
            {
                Size = (float)random.NextDouble() * 2,
                Age = (float)random.NextDouble(),
                Noise = (float)random.NextDouble(),
                Color = Colors[i < 3 ? i : random.Next(3)],
                Note = Notes[random.Next(Notes.Length)],
            };
            h.Label = 3 * h.Size - 2 * h.Age + (h.Color == "red" ? 1f : h.Color == "blue" ? -0.5f : 0f)
                + (h.Note.Contains("garden", StringComparison.Ordinal) ? 1.5f : 0f) + 0.05f * (float)(random.NextDouble() - 0.5);
            rows.Add(h);
        }
        return rows;
    }

    public static List<HouseClass> Binary(int count, int seed) =>
        Houses(count, seed).Select(h => h.With<HouseClass, bool>(h.Label > 1.6f)).ToList();

    public static List<HouseKind> Classes(int count, int seed) =>
        Houses(count, seed).Select(h => h.With<HouseKind, uint>(h.Label < 0.8f ? 0u : h.Label < 2.4f ? 1u : 2u)).ToList();

    /// <summary>Numbers and the one-hot colour concatenated into Features.</summary>
    public static IEstimator<ITransformer> NumericAndColor(MLContext ml) =>
        ml.Transforms.Categorical.OneHotEncoding("ColorHot", "Color")
            .Append(ml.Transforms.Concatenate("Features", "Size", "Age", "Noise", "ColorHot"));

    /// <summary>Numbers, the one-hot colour and the featurized note concatenated into Features.</summary>
    public static IEstimator<ITransformer> Everything(MLContext ml) =>
        ml.Transforms.Categorical.OneHotEncoding("ColorHot", "Color")
            .Append(ml.Transforms.Text.FeaturizeText("NoteFeatures", "Note"))
            .Append(ml.Transforms.Concatenate("Features", "Size", "Age", "Noise", "ColorHot", "NoteFeatures"));
}

/// <summary>Wraps a transformer and counts its Transform calls and the rows they were given.</summary>
internal sealed class CountingTransformer(ITransformer inner) : ITransformer
{
    public int Calls { get; private set; }

    public long Rows { get; private set; }

    public bool IsRowToRowMapper => inner.IsRowToRowMapper;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inner.GetOutputSchema(inputSchema);

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => inner.GetRowToRowMapper(inputSchema);

    public void Save(ModelSaveContext ctx) => inner.Save(ctx);

    public IDataView Transform(IDataView input)
    {
        Calls++;
        Rows += input.GetRowCount() ?? 0;
        return inner.Transform(input);
    }
}
