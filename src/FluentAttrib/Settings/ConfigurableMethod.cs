namespace FluentAttrib;

/// <summary>
/// The root of every configurable value of the fluent API: attribution methods (input, layer and neuron), the noise
/// tunnel and the metrics. Its settings are changed with the shared setters of <see cref="MethodSettingExtensions"/>
/// (each returns a new value of the same type) and read back through <c>Settings</c>.
/// Only this library derives from it.
/// </summary>
public abstract record ConfigurableMethod
{
    private protected ConfigurableMethod(SettingValues values) => Values = values;

    internal SettingValues Values { get; init; }

    /// <summary>The method's name as Captum (or the reference library) spells it; by default the type's name.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>A short description of the method and its settings.</summary>
    public virtual string Describe() => Name;

    /// <summary>A copy with other settings (the runtime type is kept).</summary>
    internal ConfigurableMethod WithValues(SettingValues values) => this with { Values = values };
}

/// <summary>
/// The settings of a method of type <typeparamref name="TMethod"/>, read back by name: <c>method.Settings.Steps</c>.
/// Only the settings that <typeparamref name="TMethod"/> has are visible (one extension property per concept, in
/// <see cref="MethodSettingReadBack"/>). Two settings are equal when all their values are equal (tensors by reference).
/// </summary>
/// <typeparam name="TMethod">The method type.</typeparam>
public sealed class MethodSettings<TMethod> : IEquatable<MethodSettings<TMethod>> where TMethod : ConfigurableMethod
{
    internal MethodSettings(SettingValues values) => Values = values;

    internal SettingValues Values { get; }

    /// <inheritdoc />
    public bool Equals(MethodSettings<TMethod>? other) => other is not null && Values == other.Values;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as MethodSettings<TMethod>);

    /// <inheritdoc />
    public override int GetHashCode() => Values.GetHashCode();

    /// <summary>Whether two settings hold equal values.</summary>
    public static bool operator ==(MethodSettings<TMethod>? left, MethodSettings<TMethod>? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Whether two settings differ.</summary>
    public static bool operator !=(MethodSettings<TMethod>? left, MethodSettings<TMethod>? right) => !(left == right);
}
