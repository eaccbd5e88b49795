using System.Collections;
using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Layers;

/// <summary>Counts the hooks registered on a model and all its submodules (TorchSharp keeps them in protected dictionaries).</summary>
public static class HookCounter
{
    private static readonly string[] Fields = ["pre_hooks", "post_hooks", "module_pre_hooks", "module_post_hooks"];

    public static int Count(nn.Module model) => Modules(model).Sum(CountOn);

    public static int CountOn(nn.Module module)
    {
        int n = 0;
        for (var t = module.GetType(); t is not null; t = t.BaseType)
        {
            if (!t.IsGenericType || t.GetGenericTypeDefinition().Name != "HookableModule`2") continue;
            foreach (var name in Fields)
                if (t.GetField(name, BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(module) is ICollection c) n += c.Count;
        }
        return n;
    }

    private static IEnumerable<nn.Module> Modules(nn.Module root)
    {
        yield return root;
        foreach (var (_, child) in root.named_children())
            foreach (var m in Modules(child)) yield return m;
    }
}

public sealed class ForwardFailure() : Exception("the forward pass failed on purpose");

/// <summary>
/// An identity module that observes the model during its forward passes: counts calls, records the hooks present,
/// and can throw or cancel on a given call.
/// </summary>
public sealed class Spy : nn.Module<Tensor, Tensor>
{
    public Spy() : base(nameof(Spy)) { }

    public nn.Module? Watched { get; set; }
    public int Calls { get; private set; }
    public int MaxHooksSeen { get; private set; }
    public int ThrowOnCall { get; set; }
    public int CancelOnCall { get; set; }
    public CancellationTokenSource? Cancellation { get; set; }

    public void Reset()
    {
        Calls = 0;
        MaxHooksSeen = 0;
        ThrowOnCall = 0;
        CancelOnCall = 0;
    }

    public override Tensor forward(Tensor input)
    {
        Calls++;
        if (Watched is not null) MaxHooksSeen = Math.Max(MaxHooksSeen, HookCounter.Count(Watched));
        if (Calls == ThrowOnCall) throw new ForwardFailure();
        if (Calls == CancelOnCall) Cancellation?.Cancel();
        return input.alias();
    }
}

public static class LayerTestModels
{
    /// <summary>fc1 (4→5) → relu1 → spy → fc2 (5→3), float64, fixed weights.</summary>
    public static (Sequential Model, Spy Spy) MlpWithSpy(int seed = 7)
    {
        using var _ = NewDisposeScope();
        random.manual_seed(seed);
        var spy = new Spy();
        var model = nn.Sequential(("fc1", nn.Linear(4, 5)), ("relu1", nn.ReLU()), ("spy", spy), ("fc2", nn.Linear(5, 3)));
        model.to(ScalarType.Float64).eval();
        spy.Watched = model;
        return (model, spy);
    }

    /// <summary>fc1 (4→3) → fc2 (3→2): purely linear, float64.</summary>
    public static Sequential Linear2(int seed = 3)
    {
        random.manual_seed(seed);
        var model = nn.Sequential(("fc1", nn.Linear(4, 3)), ("fc2", nn.Linear(3, 2)));
        model.to(ScalarType.Float64).eval();
        return model;
    }

    public static Tensor Weight(Sequential model, string layer) => ((Linear)model.named_children().First(c => c.name == layer).module).weight!;

    public static Tensor Bias(Sequential model, string layer) => ((Linear)model.named_children().First(c => c.name == layer).module).bias!;
}
