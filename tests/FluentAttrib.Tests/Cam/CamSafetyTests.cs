using FluentAttrib.Tests.Layers;
using FluentAttrib.Tests.Safety;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Cam;

/// <summary>
/// Every CAM leaves the model as it found it (parameters, buffers, flags, no gradients, no hooks) after success, after
/// an exception part-way (a target that fails on a later evaluation) and after a cancellation; a model in training
/// mode is refused.
/// </summary>
public class CamSafetyTests
{
    public static TheoryData<string> Methods() =>
    [
        "GradCAM", "GradCAM+aug", "HiResCAM", "GradCAMElementWise", "GradCAMPlusPlus", "XGradCAM", "LayerCAM", "ScoreCAM", "AblationCAM",
        "EigenCAM", "EigenGradCAM", "ShapleyCAM", "FinerCAM", "FullGrad",
    ];

    private static Attribution Run(string method, TorchSharp.Modules.Sequential model, Tensor x, Target target, CancellationToken ct = default,
        IProgress<AttributionProgress>? progress = null)
    {
        var e = Explain(model).For(target);
        if (method == "FullGrad")
        {
            var run = e.With(FullGrad.Default.AugSmooth()).WithCancellation(ct);
            return (progress is null ? run : run.WithProgress(progress)).Attribute(x);
        }
        CamMethod m = method switch
        {
            "GradCAM" => GradCam.Default,
            "GradCAM+aug" => GradCam.Default.AugSmooth().EigenSmooth(),
            "HiResCAM" => HiResCam.Default,
            "GradCAMElementWise" => GradCamElementWise.Default,
            "GradCAMPlusPlus" => GradCamPlusPlus.Default,
            "XGradCAM" => XGradCam.Default,
            "LayerCAM" => LayerCam.Default,
            "ScoreCAM" => ScoreCam.Default.PerturbationsPerPass(2),
            "AblationCAM" => AblationCam.Default.PerturbationsPerPass(2),
            "EigenCAM" => EigenCam.Default.AugSmooth(),
            "EigenGradCAM" => EigenGradCam.Default,
            "ShapleyCAM" => ShapleyCam.Default.AugSmooth(),
            "FinerCAM" => FinerCam.Default.ComparisonRanks(1).AugSmooth(),
            _ => throw new ArgumentException(method),
        };
        var layerRun = e.At("conv1", "relu").With(m).WithCancellation(ct);
        return (progress is null ? layerRun : layerRun.WithProgress(progress)).Attribute(x);
    }

    /// <summary>A target (class 1's logit) that counts its evaluations and fails on the one given.</summary>
    private static Target Counting(Func<int, bool> fail, Action? each = null)
    {
        int calls = 0;
        return Target.Score(o =>
        {
            each?.Invoke();
            if (fail(++calls)) throw new InvalidOperationException("target failed on purpose");
            return o[.., 1];
        }, "counting");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void The_model_is_unchanged_after_success_an_exception_and_a_cancellation(string method)
    {
        using var scope = NewDisposeScope();
        var model = SafetyKit.BatchNormCnn(training: false);
        var x = SafetyKit.Images(2, 3);
        var before = new SafetyKit.Snapshot(model);
        int evaluations = 0;
        using (var a = Run(method, model, x, Counting(_ => false, () => evaluations++)))
            Assert.All(a.Values, v => Assert.False(v.isnan().any().item<bool>()));
        before.AssertSame(model, $"after {method}");
        Assert.Equal(0, HookCounter.Count(model));
        bool usesTarget = method is not "EigenCAM";
        Assert.True(!usesTarget || evaluations > 0);

        if (usesTarget)
        {
            int failAt = Math.Max(1, (evaluations + 1) / 2);
            var ex = Assert.Throws<InvalidOperationException>(() => Run(method, model, x, Counting(n => n == failAt)));
            Assert.Equal("target failed on purpose", ex.Message);
            before.AssertSame(model, $"after an exception in {method}");
            Assert.Equal(0, HookCounter.Count(model));
        }

        using var cts = new CancellationTokenSource();
        var cancelling = usesTarget ? Counting(_ => false, () => { if (!cts.IsCancellationRequested) cts.Cancel(); }) : Target.None;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            if (!usesTarget) cts.Cancel();
            Run(method, model, x, cancelling, cts.Token);
        });
        before.AssertSame(model, $"after cancelling {method}");
        Assert.Equal(0, HookCounter.Count(model));
    }

    [Fact]
    public void A_model_in_training_mode_is_refused()
    {
        using var scope = NewDisposeScope();
        var model = SafetyKit.BatchNormCnn(training: true);
        var x = SafetyKit.Images(2, 3);
        Assert.Throws<ModelInTrainingModeException>(() => Explain(model).For(1).At("relu").With(GradCam.Default).Attribute(x));
        Assert.Throws<ModelInTrainingModeException>(() => Explain(model).For(1).With(FullGrad.Default).Attribute(x));
    }
}
