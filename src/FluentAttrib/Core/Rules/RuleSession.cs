using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>A rule attached to one module for a session.</summary>
internal sealed class RuleBinding
{
    internal RuleBinding(nn.Module module, string path, GradientRule rule)
    {
        Module = module;
        Path = path;
        Rule = rule;
    }

    public nn.Module Module { get; }
    public string Path { get; }
    public GradientRule Rule { get; }

    /// <summary>Calls in the current pass.</summary>
    internal int Calls { get; set; }

    /// <summary>Backward visits (input side) in the current pass.</summary>
    internal int BackwardCalls { get; set; }

    /// <summary>The call between the pre-hook and the forward hook.</summary>
    internal RuleCall? Pending { get; set; }

    /// <summary>Hooked inputs of the pending call.</summary>
    internal Tensor[] PendingInputs { get; set; } = [];
}

/// <summary>
/// Overrides how gradients pass through chosen modules of a model for the duration of one attribution: forward
/// hooks route each chosen module's inputs and output through identity autograd functions whose backward applies
/// the module's <see cref="GradientRule"/>. Nothing about the model changes: no weight, buffer, flag or module is
/// touched, and <see cref="Dispose"/> removes every hook (use it in a <c>using</c>, so that happens after an
/// exception or a cancellation too).
/// </summary>
/// <remarks>
/// An exception inside a rule's backward cannot cross the native autograd engine (it would abort the process), so
/// it is recorded, the gradient passes unchanged, and <see cref="Run{T}"/> rethrows it after autograd returns.
/// </remarks>
internal sealed class RuleSession : IDisposable
{
    private readonly List<Action> _removers = [];
    private readonly List<RuleBinding> _bindings = [];
    private readonly List<Tensor> _kept = [];
    private readonly Dictionary<Tensor, RuleCall> _producers = new(ReferenceEqualityComparer.Instance);
    private ExceptionDispatchInfo? _failure;
    private bool _inPass;
    private bool _disposed;

    /// <summary>Identifies this session's passes: its hooks act only while it runs a pass on the calling thread.</summary>
    private readonly HookOwner _owner = new();

    /// <summary>Opens a session on <paramref name="tree"/>'s model.</summary>
    /// <remarks>
    /// Several sessions (and plain calls of the model) may run on one model at the same time on different threads:
    /// every hook checks that its own session's pass is running on the calling thread and lets everything else
    /// through untouched.
    /// </remarks>
    public RuleSession(ModuleTree tree, string method, bool reproduceCaptumHookOrder)
    {
        Tree = tree;
        Method = method;
        ReproduceCaptumHookOrder = reproduceCaptumHookOrder;
    }

    public ModuleTree Tree { get; }

    /// <summary>The attribution method, for messages.</summary>
    public string Method { get; }

    /// <summary>Whether Captum's hook order for directly chained hooked modules is reproduced.</summary>
    public bool ReproduceCaptumHookOrder { get; }

    /// <summary>The modules with a rule.</summary>
    public IReadOnlyList<RuleBinding> Bindings => _bindings;

    /// <summary>Attaches <paramref name="rule"/> to <paramref name="module"/>.</summary>
    /// <exception cref="ArgumentException">The module's forward does not take one or two tensors.</exception>
    public void Attach(nn.Module module, GradientRule rule)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var binding = new RuleBinding(module, Tree.PathOf(module), rule);
        switch (module)
        {
            case nn.Module<Tensor, Tensor> one:
            {
                _removers.Add(ModuleHooks.AddPre(one, (_, x) => _owner.IsActiveHere ? Before(binding, [x])[0] : null));
                _removers.Add(ModuleHooks.AddPost(one, (_, _, y) => _owner.IsActiveHere ? After(binding, y) : null));
                break;
            }
            case nn.Module<Tensor, Tensor, Tensor> two:
            {
                _removers.Add(ModuleHooks.AddPre(two, (_, a, b) =>
                {
                    if (!_owner.IsActiveHere) return null;
                    var hooked = Before(binding, [a, b]);
                    return (hooked[0], hooked[1]);
                }));
                _removers.Add(ModuleHooks.AddPost(two, (_, _, _, y) => _owner.IsActiveHere ? After(binding, y) : null));
                break;
            }
            default:
                throw new ArgumentException(
                    $"{Method} needs a rule on {Tree.Describe(module)}, but only modules whose forward takes one or two tensors and returns one can be hooked.",
                    "model");
        }
        _bindings.Add(binding);
    }

    /// <summary>
    /// Runs one forward/backward pass (<paramref name="pass"/> calls the model and autograd), then rethrows any
    /// exception a rule's backward raised, and releases what the pass recorded.
    /// </summary>
    public T Run<T>(Func<T> pass)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        BeginPass();
        try
        {
            T result;
            using (_owner.Enter()) result = pass();
            _failure?.Throw();
            return result;
        }
        finally
        {
            EndPass();
        }
    }

    private void BeginPass()
    {
        _inPass = true;
        _failure = null;
        foreach (var b in _bindings)
        {
            b.Calls = 0;
            b.BackwardCalls = 0;
            b.Pending = null;
        }
    }

    private void EndPass()
    {
        _inPass = false;
        foreach (var b in _bindings)
        {
            b.Pending = null;
            b.PendingInputs = [];
        }
        _producers.Clear();
        foreach (var t in _kept) t.Dispose();
        _kept.Clear();
        PassObserver?.Invoke(_bindings.Select(b => (b.Path, b.Module, b.Calls, b.BackwardCalls)).ToArray());
    }

    /// <summary>
    /// Diagnostics for tests: called on this thread after every pass with, per hooked module, its path, the module,
    /// its forward calls and the backward visits on its input side.
    /// </summary>
    [ThreadStatic]
    internal static Action<(string Path, nn.Module Module, int Calls, int BackwardCalls)[]>? PassObserver;

    /// <summary>Keeps <paramref name="t"/> (already detached) alive until the pass ends, outside any dispose scope.</summary>
    internal Tensor Keep(Tensor t)
    {
        t.DetachFromDisposeScope();
        _kept.Add(t);
        return t;
    }

    private Tensor[] Before(RuleBinding binding, Tensor[] inputs)
    {
        if (!_inPass) return inputs;
        binding.Calls++;
        if (binding.Calls > 1 && binding.Rule.SingleUse)
            throw new ArgumentException(
                $"{Method} found {Tree.Describe(binding.Module)} called more than once in one forward pass. " +
                $"{Method} keeps what each module saw in the forward pass, so every module it applies a rule to must be its own instance, used once " +
                "(Captum's contract, which Captum itself does not always check). Give each use its own module instance.",
                "model");
        var call = new RuleCall(this, binding, inputs.Length);
        if (binding.Rule.NeedsInputs) call.Inputs = inputs.Select(x => call.Keep(x)).ToArray();
        var hooked = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            if (binding.Rule.IsCaptumBackwardHook && _producers.TryGetValue(inputs[i], out var producer))
                call.Upstream[i] = producer;
            hooked[i] = RuleInputFunction.apply(inputs[i], call, i);
        }
        binding.Pending = call;
        binding.PendingInputs = hooked;
        return hooked;
    }

    private Tensor After(RuleBinding binding, Tensor output)
    {
        if (!_inPass || binding.Pending is not { } call) return output;
        binding.Pending = null;
        var path = binding.Rule.GradientPath(call, binding.PendingInputs, output);
        binding.PendingInputs = [];
        if (binding.Rule.NeedsOutput) call.Output = call.Keep(path ?? output);
        var result = RuleOutputFunction.apply(path ?? output, call, path is null ? null! : output.detach());
        if (binding.Rule.IsCaptumBackwardHook) _producers[result] = call;
        return result;
    }

    /// <summary>
    /// Runs a rule's backward step: inside its own dispose scope, checked to return a gradient of the expected
    /// shape, dtype and device; an exception is recorded (and the gradient passed unchanged) instead of crossing
    /// the native autograd engine.
    /// </summary>
    internal Tensor Guard(RuleCall call, Tensor gradient, Func<Tensor, Tensor> step)
    {
        if (gradient is null || gradient.IsInvalid || _failure is not null) return gradient!;
        try
        {
            Tensor result;
            using (var scope = NewDisposeScope())
            {
                result = step(gradient);
                if (!result.shape.SequenceEqual(gradient.shape) || result.dtype != gradient.dtype || result.device_type != gradient.device_type || result.device_index != gradient.device_index)
                    throw new InvalidOperationException(
                        $"{Method}'s rule for {Tree.Describe(call.Module)} produced a gradient of shape {Shapes.Format(result.shape)} " +
                        $"({result.dtype}) where {Shapes.Format(gradient.shape)} ({gradient.dtype}) was expected.");
                // A fresh handle owned by the caller's scope, whatever the rule returned (the incoming gradient, a kept tensor).
                result = result.alias().MoveToOuterDisposeScope();
            }
            return result;
        }
        catch (Exception e)
        {
            _failure ??= ExceptionDispatchInfo.Capture(e);
            return gradient;
        }
    }

    /// <summary>Counts a backward visit on the input side of a module.</summary>
    internal void CountBackward(RuleCall call) => call.Binding.BackwardCalls++;

    /// <summary>Removes every hook.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        List<Exception>? errors = null;
        foreach (var remove in _removers)
        {
            try { remove(); }
            catch (Exception e) { (errors ??= []).Add(e); }
        }
        _removers.Clear();
        _producers.Clear();
        foreach (var t in _kept) t.Dispose();
        _kept.Clear();
        if (errors is not null) throw new AggregateException("Removing the rule hooks failed.", errors);
    }
}
