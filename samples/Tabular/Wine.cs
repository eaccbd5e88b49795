using System.Globalization;
using static TorchSharp.torch;

namespace Tabular;

/// <summary>
/// The Wine recognition data (see data/CREDITS.md): 178 wines × 13 chemical measurements, 3 cultivars. Split once
/// (seeded) into training and test wines and standardised with the training mean and standard deviation, so a
/// feature value of 0 is the average training wine.
/// </summary>
internal sealed class Wine : IDisposable
{
    public static IReadOnlyList<string> FeatureNames { get; } =
    [
        "Alcohol", "Malic acid", "Ash", "Alcalinity of ash", "Magnesium", "Total phenols", "Flavanoids",
        "Nonflavanoid phenols", "Proanthocyanins", "Colour intensity", "Hue", "OD280/OD315", "Proline",
    ];

    public static IReadOnlyList<string> ClassNames { get; } = ["cultivar 0", "cultivar 1", "cultivar 2"];

    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", "wine_data.csv");

    private Wine(Tensor trainX, Tensor trainY, Tensor testX, Tensor testY, float[] mean, float[] std)
    {
        (TrainX, TrainY, TestX, TestY, Mean, Std) = (trainX, trainY, testX, testY, mean, std);
    }

    /// <summary>Standardised training features (N × 13, float32).</summary>
    public Tensor TrainX { get; }

    /// <summary>Training classes (N, int64).</summary>
    public Tensor TrainY { get; }

    public Tensor TestX { get; }

    public Tensor TestY { get; }

    /// <summary>Training mean of each raw feature (what a standardised 0 stands for).</summary>
    public float[] Mean { get; }

    public float[] Std { get; }

    /// <summary>Reads the CSV and splits it: every fourth wine of a seeded shuffle is a test wine (45 of 178).</summary>
    /// <exception cref="InvalidDataException">The file is not sklearn's wine_data.csv.</exception>
    public static Wine Load(string? path = null, int seed = 0)
    {
        path ??= DefaultPath;
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        var header = lines[0].Split(',');
        if (header.Length != 5 || header[0] != "178" || header[1] != "13")
            throw new InvalidDataException($"{path} does not start with sklearn's wine header '178,13,class_0,class_1,class_2'.");
        var rows = lines[1..].Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        if (rows.Length != 178 || rows.Any(r => r.Length != 14))
            throw new InvalidDataException($"{path} should hold 178 rows of 13 features and a class.");

        var order = Enumerable.Range(0, rows.Length).ToArray();
        new Random(seed).Shuffle(order);
        var test = order.Where((_, i) => i % 4 == 0).ToArray();
        var train = order.Where((_, i) => i % 4 != 0).ToArray();

        var mean = new float[13];
        var std = new float[13];
        for (int f = 0; f < 13; f++)
        {
            double m = train.Average(i => rows[i][f]);
            mean[f] = (float)m;
            std[f] = (float)Math.Sqrt(train.Average(i => (rows[i][f] - m) * (rows[i][f] - m)));
        }
        (Tensor X, Tensor Y) Make(int[] idx)
        {
            var x = new float[idx.Length * 13];
            var y = new long[idx.Length];
            for (int n = 0; n < idx.Length; n++)
            {
                for (int f = 0; f < 13; f++) x[n * 13 + f] = ((float)rows[idx[n]][f] - mean[f]) / std[f];
                y[n] = (long)rows[idx[n]][13];
            }
            return (tensor(x, [idx.Length, 13]), tensor(y));
        }
        var (trainX, trainY) = Make(train);
        var (testX, testY) = Make(test);
        return new Wine(trainX, trainY, testX, testY, mean, std);
    }

    public void Dispose()
    {
        TrainX.Dispose();
        TrainY.Dispose();
        TestX.Dispose();
        TestY.Dispose();
    }
}
