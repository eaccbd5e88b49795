using static TorchSharp.torch;

namespace FluentAttrib.Core.Perturbation;

/// <summary>Uniformly random permutations drawn on a device, from a seeded generator or torch's default RNG.</summary>
internal static class RandomPermutations
{
    /// <summary>A generator on <paramref name="device"/> seeded with <paramref name="seed"/>, or null (default RNG) without a seed.</summary>
    public static Generator? CreateGenerator(long? seed, Device device) =>
        seed is { } s ? new Generator(unchecked((ulong)s), device) : null;

    /// <summary><paramref name="rows"/> independent random permutations of 0..<paramref name="n"/>−1, int64 (rows, n).</summary>
    public static Tensor Draw(long rows, long n, Device device, Generator? generator) =>
        rand([rows, n], dtype: ScalarType.Float64, device: device, generator: generator).argsort(dim: 1);

    /// <summary>
    /// Like <see cref="Draw"/> but no row is the identity (rows that come out as the identity are drawn again, as
    /// Captum's FeaturePermutation does); needs <paramref name="n"/> ≥ 2. Reads one flag per redraw round from the device.
    /// </summary>
    public static Tensor DrawNonIdentity(long rows, long n, Device device, Generator? generator)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "Only permutations of at least 2 items can differ from the identity.");
        var perms = Draw(rows, n, device, generator);
        var identity = arange(n, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        while (true)
        {
            var isIdentity = (perms == identity).all(dim: 1);
            if (!isIdentity.any().item<bool>()) return perms;
            perms = where(isIdentity.unsqueeze(1), Draw(rows, n, device, generator), perms);
        }
    }
}
