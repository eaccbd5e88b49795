using System.Runtime.InteropServices;

namespace FluentAttrib.Core;

/// <summary>
/// Keeps the memory that one pass frees for the next pass of the same attribution call, and gives it back to the
/// operating system when the call ends.
/// </summary>
/// <remarks>
/// <para>
/// A pass of a TorchSharp model keeps every tensor it creates until its dispose scope ends, then frees them all at
/// once. With glibc's default malloc settings that leaves a large free block at the top of the heap, which malloc
/// returns to the operating system (its trim threshold adapts to at most 64 MB); the next pass asks for the same memory
/// again and the kernel has to fault in and zero every page anew. On TorchSharp's mobilenet_v2 with 4 images per pass
/// that is 11,500–13,800 minor page faults (about 50 MB) per pass; with the memory kept, 11–20.
/// </para>
/// <para>
/// While at least one attribution call runs, <see cref="Enter"/> raises glibc's trim threshold (<c>M_TRIM_THRESHOLD</c>)
/// to 1 GiB and fixes its mmap threshold (<c>M_MMAP_THRESHOLD</c>) at 32 MiB, the largest value glibc's own adaptive
/// rule reaches, so that freed blocks stay in the heap and are reused. When the last call ends, the trim threshold goes
/// to 64 MiB (what glibc's adaptive rule sets beside a 32 MiB mmap threshold) and <c>malloc_trim(0)</c> returns the
/// free memory to the operating system. Afterwards the process's allocator is where glibc's adaptive rule ends up in a
/// process that frees large blocks, except that it no longer adapts (glibc's <c>mallopt</c> cannot give the adaptation
/// back). Only glibc (Linux) is touched; on other C libraries and operating systems nothing happens. <see cref="TorchRuntime.KeepMemoryBetweenPasses"/> = false,
/// set before the first call, turns it off.
/// </para>
/// </remarks>
internal static class NativeHeap
{
    private const int TrimThreshold = -1;   // M_TRIM_THRESHOLD
    private const int MmapThreshold = -3;   // M_MMAP_THRESHOLD
    private const int KeptBytes = 1 << 30;
    private const int MmapBytes = 32 << 20;
    private const int TrimBytesAfter = 64 << 20;

    private static readonly object Gate = new();
    private static int _depth;
    private static readonly Lazy<Glibc?> Functions = new(Glibc.Find);

    /// <summary>Whether glibc's malloc functions were found (Linux with glibc).</summary>
    internal static bool Available => Functions.Value is not null;

    /// <summary>Starts keeping freed memory (if enabled and glibc is present) until the returned scope is disposed.</summary>
    public static Scope Enter()
    {
        if (!TorchRuntime.KeepMemoryBetweenPasses || Functions.Value is not { } glibc) return default;
        lock (Gate)
        {
            if (_depth++ == 0)
            {
                glibc.Mallopt(MmapThreshold, MmapBytes);
                glibc.Mallopt(TrimThreshold, KeptBytes);
            }
        }
        return new Scope(glibc);
    }

    private static void Leave(Glibc glibc)
    {
        lock (Gate)
        {
            if (--_depth > 0) return;
            glibc.Mallopt(TrimThreshold, TrimBytesAfter);
            glibc.MallocTrim(0);
        }
    }

    /// <summary>Ends one call's hold on freed memory.</summary>
    internal readonly struct Scope : IDisposable
    {
        private readonly Glibc? _glibc;

        internal Scope(Glibc glibc) => _glibc = glibc;

        public void Dispose()
        {
            if (_glibc is { } g) Leave(g);
        }
    }

    /// <summary>glibc's <c>mallopt</c> and <c>malloc_trim</c>, bound by name from the loaded C library.</summary>
    internal sealed class Glibc
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int MalloptFn(int parameter, int value);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int MallocTrimFn(nuint pad);

        private readonly MalloptFn _mallopt;
        private readonly MallocTrimFn _trim;

        private Glibc(MalloptFn mallopt, MallocTrimFn trim)
        {
            _mallopt = mallopt;
            _trim = trim;
        }

        public void Mallopt(int parameter, int value) => _mallopt(parameter, value);

        public void MallocTrim(nuint pad) => _trim(pad);

        public static Glibc? Find()
        {
            if (!OperatingSystem.IsLinux()) return null;
            // gnu_get_libc_version exists only in glibc: musl and others keep their own allocators untouched.
            if (!NativeLibrary.TryLoad("libc.so.6", out var libc)
                || !NativeLibrary.TryGetExport(libc, "gnu_get_libc_version", out _)
                || !NativeLibrary.TryGetExport(libc, "mallopt", out var mallopt)
                || !NativeLibrary.TryGetExport(libc, "malloc_trim", out var trim))
                return null;
            return new Glibc(Marshal.GetDelegateForFunctionPointer<MalloptFn>(mallopt), Marshal.GetDelegateForFunctionPointer<MallocTrimFn>(trim));
        }
    }
}
