using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// The one place where FluentAttrib runs autograd: <see cref="Grad"/> wraps <c>torch.autograd.grad</c> so that, on the
/// CPU, the backward pass does not use oneDNN (MKL-DNN) convolutions.
/// </summary>
/// <remarks>
/// libtorch 2.10's CPU build computes the input gradient of float32 convolutions through oneDNN, and on AVX-512
/// machines (seen on AMD EPYC) that backward-data kernel returns wrong values or NaN in some calls when more than one
/// thread runs, depending on the convolution's shape rather than on the batch (e.g. Conv2d(1, 6, 3) on 2×1×28×28: 29 of
/// 30 calls wrong by up to 45% of the gradient's range; Conv2d(1, 6, 5) on a single 1×1×28×28 image: 10 of 10; forward
/// passes and weight gradients are right; float64 and one thread are right). With oneDNN disabled for the backward pass
/// only, libtorch takes its native convolution kernels and every call is right, at no measurable cost on resnet18
/// (about three times oneDNN's time on vgg16's large convolutions). The switch is libtorch's process-wide
/// <c>at::Context::setUserEnabledMkldnn</c>, found in the loaded libtorch by its exported name; it is turned off while
/// any attribution is inside a backward pass and put back to the value it had before when the last one leaves, so code
/// elsewhere in the process sees at most slower, never different, convolutions. Where the export cannot be found
/// (another platform or libtorch build), backward passes on the CPU run single-threaded instead, which is the other
/// configuration that is right.
/// </remarks>
internal static class Backward
{
    private static readonly object Gate = new();
    private static int _depth;
    private static bool _savedMkldnn;
    private static int _savedThreads;
    private static readonly Lazy<MkldnnSwitch?> Switch = new(MkldnnSwitch.Find);

    /// <summary>autograd.grad of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, outside oneDNN on the CPU.</summary>
    public static Tensor[] Grad(IList<Tensor> outputs, IList<Tensor> inputs, IList<Tensor> gradOutputs, bool allowUnused,
        bool retainGraph = false, bool createGraph = false)
    {
        bool cpu = outputs.Count > 0 && outputs[0].device.type == TorchSharp.DeviceType.CPU;
        if (!cpu) return [.. autograd.grad(outputs, inputs, gradOutputs, retain_graph: retainGraph, create_graph: createGraph, allow_unused: allowUnused)];
        Enter();
        try
        {
            return [.. autograd.grad(outputs, inputs, gradOutputs, retain_graph: retainGraph, create_graph: createGraph, allow_unused: allowUnused)];
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>True when the oneDNN switch was found in the loaded libtorch (else backward passes run on one thread).</summary>
    internal static bool UsesMkldnnSwitch => Switch.Value is not null;

    private static void Enter()
    {
        lock (Gate)
        {
            if (_depth++ > 0) return;
            if (Switch.Value is { } s)
            {
                _savedMkldnn = s.Enabled;
                s.Enabled = false;
            }
            else
            {
                _savedThreads = TorchSharp.torch.get_num_threads();
                if (_savedThreads > 1) TorchSharp.torch.set_num_threads(1);
            }
        }
    }

    private static void Leave()
    {
        lock (Gate)
        {
            if (--_depth > 0) return;
            if (Switch.Value is { } s) s.Enabled = _savedMkldnn;
            else if (_savedThreads > 1) TorchSharp.torch.set_num_threads(_savedThreads);
        }
    }

    /// <summary>libtorch's at::globalContext().userEnabledMkldnn() / setUserEnabledMkldnn(bool), bound by export name.</summary>
    private sealed class MkldnnSwitch
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr GlobalContextFn();

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        [return: MarshalAs(UnmanagedType.U1)]
        private delegate bool GetFn(IntPtr context);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void SetFn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

        private readonly IntPtr _context;
        private readonly GetFn _get;
        private readonly SetFn _set;

        private MkldnnSwitch(IntPtr context, GetFn get, SetFn set)
        {
            _context = context;
            _get = get;
            _set = set;
        }

        public bool Enabled
        {
            get => _get(_context);
            set => _set(_context, value);
        }

        // Itanium C++ ABI names (Linux, macOS) and MSVC names (Windows x64) of the three functions.
        private static readonly (string[] Libraries, string Context, string Get, string Set)[] Candidates =
        [
            (["libtorch_cpu.so", "libtorch_cpu", "libtorch_cpu.dylib"],
                "_ZN2at13globalContextEv", "_ZNK2at7Context17userEnabledMkldnnEv", "_ZN2at7Context20setUserEnabledMkldnnEb"),
            (["torch_cpu.dll", "torch_cpu"],
                "?globalContext@at@@YAAEAVContext@1@XZ", "?userEnabledMkldnn@Context@at@@QEBA_NXZ", "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z"),
        ];

        public static MkldnnSwitch? Find()
        {
            _ = TorchSharp.torch.zeros(1); // makes sure TorchSharp has loaded libtorch
            var assembly = typeof(TorchSharp.torch).Assembly;
            foreach (var (libraries, context, get, set) in Candidates)
                foreach (var name in libraries)
                {
                    if (!NativeLibrary.TryLoad(name, assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out var handle)
                        && !NativeLibrary.TryLoad(name, out handle))
                        continue;
                    if (NativeLibrary.TryGetExport(handle, context, out var c)
                        && NativeLibrary.TryGetExport(handle, get, out var g)
                        && NativeLibrary.TryGetExport(handle, set, out var s))
                    {
                        var ctx = Marshal.GetDelegateForFunctionPointer<GlobalContextFn>(c)();
                        if (ctx == IntPtr.Zero) continue;
                        return new MkldnnSwitch(ctx, Marshal.GetDelegateForFunctionPointer<GetFn>(g), Marshal.GetDelegateForFunctionPointer<SetFn>(s));
                    }
                }
            return null;
        }
    }
}
