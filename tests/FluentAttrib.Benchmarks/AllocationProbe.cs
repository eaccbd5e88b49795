using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// Minor page faults and time per forward pass of a TorchSharp model run in dispose scopes, the way every attribution
/// pass runs: shows whether freed activation memory goes back to the operating system between passes (and is faulted
/// in again by the next). `--case alloc-probe MODEL BATCH [tuned]`.
/// </summary>
internal static class AllocationProbe
{
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);

    /// <summary>Sets glibc's malloc as FluentAttrib does while an attribution call runs (Core/NativeHeap.cs).</summary>
    public static void KeepMemoryLikeACall()
    {
        if (!OperatingSystem.IsLinux()) return;
        Mallopt(-3, 32 << 20);   // M_MMAP_THRESHOLD
        Mallopt(-1, 1 << 30);    // M_TRIM_THRESHOLD
    }

    public static int Run(nn.Module<Tensor, Tensor> model, int batch, bool tuned)
    {
        if (tuned) KeepMemoryLikeACall();
        var image = randn(batch, 3, 224, 224);
        for (int round = 0; round < 3; round++)
        {
            long f0 = MinorFaults();
            var sw = Stopwatch.StartNew();
            const int passes = 20;
            for (int i = 0; i < passes; i++)
            {
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                model.call(image.clone()).sum().item<float>();
            }
            Console.WriteLine($"batch {batch}{(tuned ? " (mallopt)" : "")}: {sw.Elapsed.TotalMilliseconds / passes:F1} ms and {(MinorFaults() - f0) / (double)passes:F0} minor page faults per pass");
        }
        return 0;
    }

    public static long MinorFaults()
    {
        var fields = File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(fields[7]); // minflt (field 10 of stat; fields after "pid (comm)" start at state)
    }
}
