using Xunit;
using static TorchSharp.torch;
namespace FluentAttrib.Tests;
public class Smoke { [Fact] public void Loads() { var t = ones(3).sum(); Assert.Equal(3f, t.item<float>()); } }
