using static TorchSharp.torch;
using FluentAttrib.Core;

namespace FluentAttrib;

/// <summary>
/// A configured attribution method: an immutable value whose settings are checked when it is built and whose
/// input-dependent checks happen in <see cref="AttributionRun.Attribute(TorchSharp.torch.Tensor)"/>.
/// Create one through the method's static entry points, e.g. <c>IntegratedGradients.Steps(50)</c>.
/// </summary>
public abstract record AttributionMethod : ConfigurableMethod
{
    private protected AttributionMethod(SettingValues values) : base(values) { }


    /// <summary>Runs the method.</summary>
    internal abstract Attribution Attribute(AttributionContext context);

    /// <summary>Rounds out messages and results.</summary>
    private protected Attribution Result(AttributionContext context, Tensor[] values, Tensor? delta = null) =>
        new(values, delta, Describe(), context.Target);
}
