using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// Identifies the forward passes of one attribution on the thread that runs them. Every hook FluentAttrib puts on a
/// model belongs to an owner and acts only while that owner is active on the calling thread; any other call of the
/// model (another thread's plain <c>call</c>, another attribution) passes through it untouched.
/// </summary>
internal sealed class HookOwner
{
    [ThreadStatic] private static List<HookOwner>? t_active;

    /// <summary>Whether this owner's passes are running on the calling thread.</summary>
    public bool IsActiveHere
    {
        get
        {
            var active = t_active;
            if (active is null) return false;
            for (int i = active.Count - 1; i >= 0; i--)
                if (ReferenceEquals(active[i], this)) return true;
            return false;
        }
    }

    /// <summary>Activates this owner on the calling thread until the returned scope is disposed (scopes nest).</summary>
    public Scope Enter()
    {
        (t_active ??= []).Add(this);
        return new Scope(this);
    }

    /// <summary>Deactivates its owner on dispose.</summary>
    public readonly struct Scope(HookOwner owner) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose()
        {
            var active = t_active;
            if (active is null) return;
            for (int i = active.Count - 1; i >= 0; i--)
                if (ReferenceEquals(active[i], owner)) { active.RemoveAt(i); return; }
        }
    }
}

/// <summary>
/// Adds and removes forward hooks without disturbing other threads that call the same model. TorchSharp keeps a
/// module's hooks in a <see cref="Dictionary{TKey,TValue}"/> that <c>call</c> enumerates; adding or removing in place
/// while another thread enumerates it throws on that thread ("Collection was modified") or corrupts the dictionary.
/// Here each change builds a new dictionary (in registration order) and swaps it in, so a concurrent <c>call</c>
/// keeps enumerating the one it started with. Changes are serialised by one lock.
/// </summary>
internal static class ModuleHooks
{
    private static readonly object Gate = new();

    /// <summary>A pre-hook on a one-tensor module.</summary>
    public static Action AddPre(nn.Module<Tensor, Tensor> module, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor?> hook) =>
        Add(module, "pre_hooks", new Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>((m, x) => hook(m, x)!),
            () => module.register_forward_pre_hook((m, x) => hook(m, x)!).remove);

    /// <summary>A forward hook on a one-tensor module.</summary>
    public static Action AddPost(nn.Module<Tensor, Tensor> module, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor?> hook) =>
        Add(module, "post_hooks", new Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>((m, x, y) => hook(m, x, y)!),
            () => module.register_forward_hook((m, x, y) => hook(m, x, y)!).remove);

    /// <summary>A pre-hook on a two-tensor module.</summary>
    public static Action AddPre(nn.Module<Tensor, Tensor, Tensor> module, Func<nn.Module<Tensor, Tensor, Tensor>, Tensor, Tensor, (Tensor, Tensor)?> hook) =>
        Add(module, "pre_hooks", hook, () => module.register_forward_pre_hook(hook).remove);

    /// <summary>A forward hook on a two-tensor module.</summary>
    public static Action AddPost(nn.Module<Tensor, Tensor, Tensor> module, Func<nn.Module<Tensor, Tensor, Tensor>, Tensor, Tensor, Tensor, Tensor?> hook) =>
        Add(module, "post_hooks", new Func<nn.Module<Tensor, Tensor, Tensor>, Tensor, Tensor, Tensor, Tensor>((m, a, b, y) => hook(m, a, b, y)!),
            () => module.register_forward_hook((m, a, b, y) => hook(m, a, b, y)!).remove);

    private static Action Add<THook>(nn.Module module, string fieldName, THook hook, Func<Action> fallback)
    {
        var field = FindField(module.GetType(), fieldName);
        if (field is null || field.FieldType != typeof(Dictionary<string, THook>))
        {
            // Another TorchSharp layout: register in place, still serialised.
            Action remove;
            lock (Gate) remove = fallback();
            return () => { lock (Gate) remove(); };
        }
        string key = "FluentAttrib:" + Guid.NewGuid().ToString("N");
        lock (Gate)
        {
            var current = (Dictionary<string, THook>)field.GetValue(module)!;
            var next = new Dictionary<string, THook>(current.Count + 1);
            foreach (var kv in current) next.Add(kv.Key, kv.Value);
            next.Add(key, hook);
            field.SetValue(module, next);
        }
        return () =>
        {
            lock (Gate)
            {
                var current = (Dictionary<string, THook>)field.GetValue(module)!;
                if (!current.ContainsKey(key)) return;
                var next = new Dictionary<string, THook>(current.Count);
                foreach (var kv in current)
                    if (kv.Key != key) next.Add(kv.Key, kv.Value);
                field.SetValue(module, next);
            }
        };
    }

    private static FieldInfo? FindField(Type? type, string name)
    {
        for (; type is not null; type = type.BaseType)
        {
            if (!type.IsGenericType || type.GetGenericTypeDefinition().Name != "HookableModule`2") continue;
            return type.GetField(name, BindingFlags.Instance | BindingFlags.NonPublic);
        }
        return null;
    }
}
