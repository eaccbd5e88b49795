using FluentAttrib;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TypedLayers;

/// <summary>
/// A small CNN for 1×28×28 images, written by the user. The generator turns each marked field into a typed handle
/// in <c>Net.Layers</c>; the declared output shapes (without batch) make neuron indices checkable at compile time.
/// </summary>
[Explainable]
public sealed partial class Net : nn.Module<Tensor, Tensor>
{
    [AttributionLayer(6, 26, 26)] private readonly Conv2d conv1 = nn.Conv2d(1, 6, 3);
    private readonly ReLU relu1 = nn.ReLU();
    private readonly MaxPool2d pool = nn.MaxPool2d(2);
    [AttributionLayer(12, 11, 11)] private readonly Conv2d conv2 = nn.Conv2d(6, 12, 3);
    private readonly ReLU relu2 = nn.ReLU();
    private readonly Flatten flatten = nn.Flatten();
    [AttributionLayer(32, Name = "Hidden")] private readonly Linear fc1 = nn.Linear(12 * 11 * 11, 32);
    private readonly ReLU relu3 = nn.ReLU();
    [AttributionLayer(10, Name = "Logits")] private readonly Linear fc2 = nn.Linear(32, 10);

    /// <summary>Creates the model with random weights.</summary>
    public Net() : base(nameof(Net)) => RegisterComponents();

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = pool.call(relu1.call(conv1.call(input)));
        x = flatten.call(relu2.call(conv2.call(x)));
        return fc2.call(relu3.call(fc1.call(x))).MoveToOuterDisposeScope();
    }
}
