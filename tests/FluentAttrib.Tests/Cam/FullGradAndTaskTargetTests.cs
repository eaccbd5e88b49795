using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Cam;

/// <summary>FullGrad on a model computed by hand, and the task targets (segmentation, detection, softmax, binary, similarity) with several methods.</summary>
public class FullGradAndTaskTargetTests
{
    private static double[] Scale(double[] m)
    {
        double min = m.Min();
        var s = m.Select(v => v - min).ToArray();
        double max = s.Max();
        return s.Select(v => v / (1e-7 + max)).ToArray();
    }

    [Fact]
    public void FullGrad_sums_the_scaled_input_and_bias_gradient_terms()
    {
        using var scope = NewDisposeScope();
        // out = w·x + b (a 1×1 convolution with bias), score = Σ_ij v_ij·out_ij: ∂L/∂x = w·v, ∂L/∂out = v.
        const double w = -1.5, bias = 0.8;
        var v = new[] { 0.3, -1.2, 2.0, 0.5, -0.7, 1.1, 0.0, 0.9, -0.4 };
        var conv = nn.Conv2d(1, 1, 1);
        var fc = nn.Linear(9, 1);
        var model = nn.Sequential(("conv", conv), ("flat", nn.Flatten()), ("fc", fc));
        model.to(ScalarType.Float64).eval();
        using (no_grad())
        {
            conv.weight!.fill_(w);
            conv.bias!.fill_(bias);
            fc.weight!.copy_(tensor(v, [1, 9], ScalarType.Float64));
            fc.bias!.fill_(0.25);
        }
        var xs = new[] { 0.5, 1.0, -2.0, 0.1, 0.0, 3.0, -1.0, 0.7, 0.2 };
        var x = tensor(xs, [1, 1, 3, 3], ScalarType.Float64);
        var t0 = xs.Select((xi, i) => Math.Abs(w * v[i] * xi)).ToArray();
        var t1 = v.Select(vi => Math.Abs(bias * vi)).ToArray();
        var expected = Scale(Scale(t0).Zip(Scale(t1), (a, b) => a + b).ToArray());
        var map = Explain(model).With(FullGrad.Default).Attribute(x).Value;
        Assert.Equal([1L, 3, 3], map.shape);
        var got = map.data<double>().ToArray();
        for (int i = 0; i < 9; i++) Assert.True(Math.Abs(got[i] - expected[i]) < 1e-12, $"{i}: {got[i]} vs {expected[i]}");
        var terms = Explain(model).With(FullGrad.Default.Output(CamOutput.Raw)).Attribute(x).Values;
        Assert.Equal(2, terms.Count);
        Assert.True(terms[0].allclose(tensor(t0, [1, 1, 3, 3], ScalarType.Float64), rtol: 0, atol: 1e-14));
        Assert.True(terms[1].allclose(tensor(t1, [1, 1, 3, 3], ScalarType.Float64), rtol: 0, atol: 1e-14));
    }

    [Fact]
    public void FullGrad_uses_the_effective_bias_of_a_batch_norm()
    {
        using var scope = NewDisposeScope();
        var bn = nn.BatchNorm2d(1);
        var model = nn.Sequential(("bn", bn), ("flat", nn.Flatten()), ("fc", nn.Linear(4, 1)));
        model.to(ScalarType.Float64).eval();
        using (no_grad())
        {
            bn.weight!.fill_(2.0);
            bn.bias!.fill_(0.5);
            bn.running_mean!.fill_(1.5);
            bn.running_var!.fill_(3.0);
        }
        var x = tensor(new[] { 1.0, -2.0, 0.5, 4.0 }, [1, 1, 2, 2], ScalarType.Float64);
        var terms = Explain(model).With(FullGrad.Default.Output(CamOutput.Raw)).Attribute(x).Values;
        var fcw = ((TorchSharp.Modules.Linear)model.named_children().Single(c => c.name == "fc").module).weight!.detach().reshape(1, 1, 2, 2);
        double effective = 0.5 - 1.5 * 2.0 / Math.Sqrt(3.0 + 1e-5);
        Assert.True(terms[1].allclose((fcw * effective).abs(), rtol: 1e-12, atol: 0));
    }

    /// <summary>A segmentation-shaped model: (B, 2, 4, 4) → per-pixel scores of 3 classes (B, 3, 4, 4); smooth, so integrated gradients converge fast.</summary>
    private static nn.Module<Tensor, Tensor> Segmenter()
    {
        manual_seed(21);
        var model = nn.Sequential(("conv", nn.Conv2d(2, 4, 3, padding: 1)), ("act", nn.Tanh()), ("head", nn.Conv2d(4, 3, 1)));
        model.to(ScalarType.Float64).eval();
        return model;
    }

    [Fact]
    public void Segmentation_target_is_the_class_score_summed_over_the_mask_for_any_method()
    {
        using var scope = NewDisposeScope();
        var model = Segmenter();
        manual_seed(22);
        var x = randn(2, 2, 4, 4, dtype: ScalarType.Float64);
        var mask = zeros(4, 4, dtype: ScalarType.Float64);
        mask[1, 1] = tensor(1.0); mask[2, 3] = tensor(1.0); mask[0, 2] = tensor(1.0);
        var target = Target.Segmentation(2, mask);
        // Integrated gradients' completeness: Σ attributions = F(x) − F(0), F = Σ over the mask of class 2's scores.
        var ig = Explain(model).For(target).With(IntegratedGradients.Steps(64)).Attribute(x).Value;
        var f = (model.call(x)[.., 2] * mask).sum([1L, 2L]) - (model.call(zeros_like(x))[.., 2] * mask).sum([1L, 2L]);
        Assert.True(ig.sum([1L, 2L, 3L]).allclose(f, rtol: 1e-4, atol: 1e-6));
        // One mask per example, and the CAMs.
        var masks = stack([mask, 1 - mask]);
        var perExample = Explain(model).For(Target.SegmentationPerExample(1, masks)).With(Saliency.Signed).Attribute(x).Value;
        var first = Explain(model).For(Target.Segmentation(1, mask)).With(Saliency.Signed).Attribute(x.narrow(0, 0, 1)).Value;
        var second = Explain(model).For(Target.Segmentation(1, 1 - mask)).With(Saliency.Signed).Attribute(x.narrow(0, 1, 1)).Value;
        Assert.True(perExample.allclose(cat([first, second]), rtol: 0, atol: 1e-14));
        var cam = Explain(model).For(target).At("act").With(GradCam.Default).Attribute(x).Value;
        Assert.Equal([2L, 4, 4], cam.shape);
        Assert.Throws<ArgumentException>(() => Explain(model).For(Target.Segmentation(1, zeros(3, 3))).With(Saliency.Default).Attribute(x));
    }

    /// <summary>
    /// A detection-shaped model: for each example, 3 fixed anchor boxes whose corners shift with the input's mean and
    /// whose 2 class scores come from the input: output (B, 3, 4 + 2).
    /// </summary>
    private sealed class Detector : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> features = nn.Conv2d(1, 6, 3, padding: 1);
        private readonly nn.Module<Tensor, Tensor> pool = nn.AdaptiveAvgPool2d(1);
        private readonly Tensor anchors = tensor(new[] { 0.0, 0, 4, 4, 2, 2, 8, 8, 5, 0, 8, 3 }, [1, 3, 4], ScalarType.Float64);

        public Detector() : base(nameof(Detector)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            var f = pool.call(features.call(x)).flatten(1);                               // (B, 6)
            var scores = nn.functional.softmax(f.reshape(-1, 3, 2), -1);                 // (B, 3, 2)
            var boxes = anchors.to(x.dtype) + 0.1 * x.mean([1L, 2L, 3L]).reshape(-1, 1, 1); // (B, 3, 4)
            return cat([boxes, scores], 2);
        }
    }

    [Fact]
    public void Detection_target_adds_iou_and_class_score_of_the_best_matching_box_of_the_right_class()
    {
        using var scope = NewDisposeScope();
        manual_seed(23);
        var model = new Detector();
        model.to(ScalarType.Float64).eval();
        var x = randn(2, 1, 8, 8, dtype: ScalarType.Float64);
        var o = model.call(x);
        var labels = o.narrow(2, 4, 2).argmax(2);                                         // predicted class per box
        long l0 = labels[0, 0].item<long>(), l1 = labels[0, 1].item<long>();
        // Reference boxes: one near box 0 with its predicted class, one near box 1 with the other class (no match), one far away.
        var refs = tensor(new[] { 0.2, 0.1, 4.1, 4.0, 2.0, 2.2, 8.0, 8.1, 20, 20, 22, 22 }, [3, 4], ScalarType.Float64);
        var target = Target.DetectionBoxes(refs, [l0, 1 - l1, 0]);
        var saliency = Explain(model).For(target).With(Saliency.Signed).Attribute(x).Value;

        // By hand, one reference box at a time: the predicted box with the highest IoU; when it exceeds 0.5 and its
        // predicted class is the reference's, IoU + that class's score counts.
        long[] refLabels = [l0, 1 - l1, 0];
        Tensor byHand;
        int matches = 0;
        using (enable_grad())
        {
            var leaf = x.detach().requires_grad_(true);
            var out_ = model.call(leaf);
            Tensor total = zeros(1, dtype: ScalarType.Float64);
            for (int b = 0; b < 2; b++)
                for (int m = 0; m < 3; m++)
                {
                    var r = refs[m];
                    var ious = new Tensor[3];
                    for (int n = 0; n < 3; n++)
                    {
                        var box = out_[b, n, TensorIndex.Slice(0, 4)];
                        var iw = (minimum(box[2], r[2]) - maximum(box[0], r[0])).clamp_min(0);
                        var ih = (minimum(box[3], r[3]) - maximum(box[1], r[1])).clamp_min(0);
                        var inter = iw * ih;
                        ious[n] = inter / ((box[2] - box[0]) * (box[3] - box[1]) + (r[2] - r[0]) * (r[3] - r[1]) - inter);
                    }
                    int best = Enumerable.Range(0, 3).OrderByDescending(n => ious[n].item<double>()).First();
                    if (ious[best].item<double>() > 0.5 && out_[b, best, TensorIndex.Slice(4, 6)].argmax().item<long>() == refLabels[m])
                    {
                        total = total + ious[best] + out_[b, best, 4 + refLabels[m]];
                        matches++;
                    }
                }
            byHand = autograd.grad([total.sum()], [leaf])[0];
        }
        Assert.True(matches >= 2, $"only {matches} matches");
        Assert.True(saliency.allclose(byHand, rtol: 1e-10, atol: 1e-12));
        Assert.True(saliency.abs().sum().item<double>() > 0);
        // The detection target drives a CAM too.
        var cam = Explain(model).For(target).At("features").With(GradCam.Default).Attribute(x).Value;
        Assert.Equal([2L, 8, 8], cam.shape);
        Assert.Throws<ArgumentException>(() => Target.DetectionBoxes(zeros(2, 3), [0, 1]));
        Assert.Throws<ArgumentException>(() => Target.DetectionBoxes(zeros(2, 4), [0]));
    }

    [Fact]
    public void Softmax_binary_and_similarity_targets_are_their_formulas()
    {
        using var scope = NewDisposeScope();
        manual_seed(24);
        var net = nn.Sequential(("fc", nn.Linear(5, 4)));
        net.to(ScalarType.Float64).eval();
        var x = randn(3, 5, dtype: ScalarType.Float64);
        // Softmax: IG completeness against softmax(f(x))[2] − softmax(f(0))[2].
        var ig = Explain(net).For(Target.Softmax(2)).With(IntegratedGradients.Steps(200)).Attribute(x).Value;
        var want = nn.functional.softmax(net.call(x), -1)[.., 2] - nn.functional.softmax(net.call(zeros_like(x)), -1)[.., 2];
        Assert.True(ig.sum(dim: 1).allclose(want, rtol: 1e-5, atol: 1e-7));
        // Binary: the logit or its negation, on a (B, 1) output.
        var one = nn.Sequential(("fc", nn.Linear(5, 1)));
        one.to(ScalarType.Float64).eval();
        var pos = Explain(one).For(Target.Binary(1)).With(Saliency.Signed).Attribute(x).Value;
        var neg = Explain(one).For(Target.Binary(0)).With(Saliency.Signed).Attribute(x).Value;
        Assert.True(pos.allclose(-neg, rtol: 0, atol: 0));
        Assert.True(pos.allclose(Explain(one).With(Saliency.Signed).Attribute(x).Value, rtol: 0, atol: 0));
        // Similarity: cosine similarity of the output with a reference, by IG completeness.
        var reference = randn(4, dtype: ScalarType.Float64);
        var sim = Explain(net).For(Target.Similarity(reference)).With(IntegratedGradients.Steps(200)).Attribute(x).Value;
        Tensor Cos(Tensor t) => nn.functional.cosine_similarity(net.call(t), reference.unsqueeze(0), 1);
        Assert.True(sim.sum(dim: 1).allclose(Cos(x) - Cos(zeros_like(x)), rtol: 1e-4, atol: 1e-6));
        var perExample = randn(3, 4, dtype: ScalarType.Float64);
        var simEach = Explain(net).For(Target.Similarity(perExample)).With(Saliency.Signed).Attribute(x).Value;
        var row1 = Explain(net).For(Target.Similarity(perExample[1])).With(Saliency.Signed).Attribute(x.narrow(0, 1, 1)).Value;
        Assert.True(simEach[1].allclose(row1[0], rtol: 0, atol: 1e-14));
        Assert.Throws<ArgumentOutOfRangeException>(() => Target.Binary(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Explain(net).For(Target.Softmax(9)).With(Saliency.Default).Attribute(x));
    }

    [Fact]
    public void PerExampleTargets_apply_each_target_to_its_own_example()
    {
        using var scope = NewDisposeScope();
        manual_seed(25);
        var net = nn.Sequential(("fc", nn.Linear(5, 4)));
        net.to(ScalarType.Float64).eval();
        var x = randn(2, 5, dtype: ScalarType.Float64);
        var both = Explain(net).For(Target.PerExampleTargets(Target.Index(3), Target.Softmax(1))).With(Saliency.Signed).Attribute(x).Value;
        var a = Explain(net).For(3).With(Saliency.Signed).Attribute(x.narrow(0, 0, 1)).Value;
        var b = Explain(net).For(Target.Softmax(1)).With(Saliency.Signed).Attribute(x.narrow(0, 1, 1)).Value;
        Assert.True(both.allclose(cat([a, b]), rtol: 0, atol: 1e-15));
        Assert.Throws<ArgumentException>(() => Target.PerExampleTargets(Target.PerExample(1, 2)));
        Assert.Throws<ArgumentException>(() => Explain(net).For(Target.PerExampleTargets(Target.Index(3))).With(Saliency.Default).Attribute(x));
    }
}
