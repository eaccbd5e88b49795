using Xunit;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained.Tests;

/// <summary>The state dict the importer produces: TorchVision's names, the [2,2,2,3] layout, the mapping found in the file.</summary>
public sealed class ImporterMappingTests(PretrainedFixture pretrained) : IClassFixture<PretrainedFixture>
{
    [Fact]
    public void The_layout_is_two_two_two_three()
    {
        Assert.Equal([2, 2, 2, 3], pretrained.Weights.Layout);
        Assert.Equal("Input247", pretrained.Weights.InputName);
        Assert.Equal("Pooling395_Output_0", pretrained.Weights.OutputName);
    }

    [Fact]
    public void The_names_are_torchvisions_resnet18_names_plus_the_third_block_of_layer4()
    {
        using var torchvisionResNet18 = TorchSharp.torchvision.models.resnet18();
        var expected = torchvisionResNet18.state_dict().Keys.Where(k => !k.StartsWith("fc.", StringComparison.Ordinal)).ToHashSet();
        var imported = pretrained.Weights.StateDict.Keys.ToHashSet();

        Assert.Empty(expected.Except(imported));
        var extra = imported.Except(expected).Order().ToList();
        Assert.All(extra, k => Assert.StartsWith("layer4.2.", k));
        Assert.Equal(12, extra.Count); // conv1, conv2 weights; bn1, bn2 × (weight, bias, running_mean, running_var, num_batches_tracked)
        foreach (var key in expected)
            Assert.Equal(torchvisionResNet18.state_dict()[key].shape, pretrained.Weights.StateDict[key].shape);
    }

    [Fact]
    public void Every_initializer_of_the_file_is_used_once()
    {
        Assert.Equal(110, pretrained.Weights.Sources.Count);
        Assert.Equal(110, pretrained.Weights.Sources.Values.Distinct().Count());
    }

    [Theory]
    [InlineData("conv1.weight", "Parameter91")]
    [InlineData("bn1.running_mean", "Constant98")]
    [InlineData("layer1.0.conv1.weight", "Parameter86")]
    [InlineData("layer2.0.downsample.0.weight", "Parameter199")]
    [InlineData("layer2.0.downsample.1.running_var", "Constant206")]
    [InlineData("layer3.0.bn2.running_mean", "Constant267")]
    [InlineData("layer4.2.conv2.weight", "Parameter10")]
    [InlineData("layer4.2.bn2.bias", "Parameter418")]
    public void Initializers_map_by_the_graphs_structure(string key, string initializer)
    {
        Assert.Equal(initializer, pretrained.Weights.Sources[key]);
    }

    [Fact]
    public void The_loaded_model_holds_the_imported_tensors()
    {
        var state = pretrained.Model.state_dict();
        foreach (var (key, value) in pretrained.Weights.StateDict)
            Assert.True((state[key] == value).all().item<bool>(), key);
        Assert.Equal(ScalarType.Float32, state["conv1.weight"].dtype);
        Assert.True(state["bn1.running_var"].min().item<float>() > 0);
    }

    [Fact]
    public void The_preprocessing_subtracts_the_files_mean_image_from_bgr()
    {
        var mean = pretrained.Preprocess.MeanImage;
        Assert.Equal([1L, 3, 224, 224], mean.shape);
        // The mean image is a photo-like average, not a constant per channel.
        Assert.True(mean[0, 0].std().item<float>() > 1);

        using var scope = NewDisposeScope();
        var rgb = stack([full(224, 224, 10f), full(224, 224, 20f), full(224, 224, 30f)]).unsqueeze(0);
        var result = pretrained.Preprocess.call(rgb);
        Assert.True(((result[0, 0] + mean[0, 0] - 30).abs().max()).item<float>() < 1e-4); // B first
        Assert.True(((result[0, 2] + mean[0, 2] - 10).abs().max()).item<float>() < 1e-4); // R last
        Assert.Throws<ArgumentException>(() => pretrained.Preprocess.call(zeros(1, 4, 224, 224)));

        // A wider picture gets the mean image stretched to its size.
        var wide = pretrained.Preprocess.call(zeros(1, 3, 224, 448));
        Assert.Equal([1L, 3, 224, 448], wide.shape);
        Assert.True(((-wide[0, 1, 100, 200]) - mean[0, 1, 100, 100]).abs().item<float>() < 0.5);
    }
}
