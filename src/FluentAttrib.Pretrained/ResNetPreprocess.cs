using FluentAttrib.Pretrained.Onnx;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained;

/// <summary>
/// The input transform of ML.NET's pretrained ResNets (<c>ResNetPreprocess.onnx</c>) as a TorchSharp module:
/// planar RGB in 0–255 (N×3×H×W) → channels reversed to BGR → minus a per-pixel mean image (no division by a
/// standard deviation). The mean image is read from the file's initializer, not written into the code.
/// </summary>
public sealed class ResNetPreprocess : nn.Module<Tensor, Tensor>
{
    private readonly Tensor mean;

    private ResNetPreprocess(Tensor meanImage) : base(nameof(ResNetPreprocess))
    {
        mean = meanImage;
        register_buffer(nameof(mean), mean, persistent: false);
    }

    /// <summary>The mean image subtracted after the channel swap (1×3×H×W, BGR order).</summary>
    public Tensor MeanImage => mean;

    /// <summary>Height and width of the mean image: the size the network was trained at.</summary>
    public (long Height, long Width) Size => (mean.shape[2], mean.shape[3]);

    /// <summary>Reads <c>ResNetPreprocess.onnx</c> (Split RGB → Concat BGR → Sub mean image) and checks its graph is that.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="OnnxImportException">The file is not ONNX, or its graph is not this transform.</exception>
    public static ResNetPreprocess Load(string path)
    {
        var model = OnnxModelReader.Read(path);
        OnnxImportException Fail(string problem) => new(path, $"not the ResNet preprocessing graph (Split → Concat BGR → Sub mean): {problem}");

        if (model.Inputs.Count != 1) throw Fail($"it has {model.Inputs.Count} inputs, not one.");
        string input = model.Inputs[0].Name;
        var ops = model.Nodes.Select(n => n.OpType).ToArray();
        if (!ops.SequenceEqual(["Split", "Concat", "Sub"]))
            throw Fail($"its nodes are {string.Join(" → ", ops)}.");
        var (split, concat, sub) = (model.Nodes[0], model.Nodes[1], model.Nodes[2]);

        if (split.Inputs.SingleOrDefault() != input || split.Outputs.Count != 3 || split.Attribute("axis")?.Int != 1)
            throw Fail($"{split.Display} does not split the input '{input}' into three along axis 1.");
        if (concat.Attribute("axis")?.Int != 1 || !concat.Inputs.SequenceEqual(split.Outputs.Reverse()))
            throw Fail($"{concat.Display} does not concatenate the split channels in reverse order (RGB → BGR) along axis 1.");
        if (sub.Inputs.Count != 2 || sub.Inputs[0] != concat.Outputs[0] || !model.Initializers.TryGetValue(sub.Inputs[1], out var meanImage))
            throw Fail($"{sub.Display} does not subtract an initializer from the BGR image.");
        if (meanImage.DataType != OnnxDataType.Float || meanImage.Floats is null || meanImage.Dims.Count != 4 || meanImage.Dims[0] != 1 || meanImage.Dims[1] != 3)
            throw Fail($"the mean image '{meanImage.Name}' is {meanImage.DataType} {meanImage.ShapeText}, not float32 [1, 3, H, W].");
        if (!model.Outputs.Any(o => o.Name == sub.Outputs[0]))
            throw Fail($"{sub.Display} does not write the graph's output.");

        return new ResNetPreprocess(tensor(meanImage.Floats, [.. meanImage.Dims]));
    }

    /// <summary>
    /// Transforms planar RGB 0–255 (N×3×H×W) into the network's input. At the mean image's size (224×224) this is
    /// exactly the ONNX graph; for another size the (smooth) mean image is resized bilinearly to H×W first, so that
    /// wider pictures, such as two 224×224 photos side by side, can go through the fully convolutional network whole.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not N×3×H×W.</exception>
    public override Tensor forward(Tensor rgb)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.dim() != 4 || rgb.shape[1] != 3)
            throw new ArgumentException($"Expected N×3×H×W planar RGB, got [{string.Join(", ", rgb.shape)}].", nameof(rgb));
        using var scope = NewDisposeScope();
        var meanImage = mean.dtype == rgb.dtype && mean.device == rgb.device ? mean : mean.to(rgb.dtype, rgb.device);
        if (rgb.shape[2] != mean.shape[2] || rgb.shape[3] != mean.shape[3])
            meanImage = nn.functional.interpolate(meanImage, [rgb.shape[2], rgb.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        return (rgb.flip(1) - meanImage).MoveToOuterDisposeScope();
    }
}
