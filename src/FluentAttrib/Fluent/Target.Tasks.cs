using System.Collections.Immutable;
using FluentAttrib.Core;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;
using static TorchSharp.torch;

namespace FluentAttrib;

// Task targets (pytorch-grad-cam's model targets), built on the function targets: each is one scalar per example
// computed from the output, so every attribution method accepts them, not only the class activation maps.
public sealed partial class Target
{
    /// <summary>
    /// The softmax probability of class <paramref name="category"/> over the last axis of a (B, classes) output
    /// (pytorch-grad-cam's <c>ClassifierOutputSoftmaxTarget</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="category"/> is negative.</exception>
    public static Target Softmax(long category)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(category);
        return Score(o =>
        {
            RequireClass(o, category, "Softmax");
            return nn.functional.softmax(o, -1).select(-1, category);
        }, $"softmax[{category}]");
    }

    /// <summary>
    /// The single logit of a binary classifier with output (B) or (B, 1): the logit for <paramref name="category"/> 1, its
    /// negation for 0 (pytorch-grad-cam's <c>BinaryClassifierOutputTarget</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="category"/> is neither 0 nor 1.</exception>
    public static Target Binary(int category)
    {
        if (category is not (0 or 1)) throw new ArgumentOutOfRangeException(nameof(category), category, "A binary category is 0 or 1.");
        return Score(o =>
        {
            var logit = o.dim() == 1 ? o : o.numel() == o.shape[0] ? o.reshape(o.shape[0]) :
                throw new ArgumentException($"Target.Binary needs an output of shape (B) or (B, 1); the model returned {Shapes.Format(o.shape)}.", "target");
            return category == 1 ? logit : -logit;
        }, $"binary[{category}]");
    }

    /// <summary>
    /// Semantic segmentation: the sum of class <paramref name="category"/>'s scores over the pixels of
    /// <paramref name="mask"/> (pytorch-grad-cam's <c>SemanticSegmentationTarget</c>). The output is (B, classes, h, w) (or any
    /// spatial rank); the mask is (h, w), shared by every example (for one mask per example, see
    /// <see cref="SegmentationPerExample"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The mask is disposed or a scalar.</exception>
    public static Target Segmentation(long category, Tensor mask)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(category);
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.IsInvalid) throw new ArgumentException("The mask was disposed.", nameof(mask));
        if (mask.dim() == 0) throw new ArgumentException("The mask needs the output's spatial shape.", nameof(mask));
        string name = $"segmentation[{category}]";
        Tensor Sum(Tensor o, Tensor m)
        {
            RequireClass(o, category, "Segmentation", 1);
            var scores = o.select(1, category);                                       // (N, *S)
            if (!scores.shape.AsSpan(1).SequenceEqual(m.shape))
                throw new ArgumentException(
                    $"Target.Segmentation's mask has shape {Shapes.Format(m.shape)} but class scores have shape {Shapes.Format(scores.shape)} (with batch).", "target");
            var weighted = scores * m.to(scores.dtype, scores.device);
            return weighted.reshape(weighted.shape[0], -1).sum(dim: 1);
        }
        var shared = mask;
        return Score(o => Sum(o, shared), name);
    }

    /// <summary>
    /// Semantic segmentation with one mask per example: <paramref name="masks"/> is (B, h, w) (rows follow their example).
    /// </summary>
    /// <exception cref="ArgumentException">The masks are disposed or have no spatial dimensions.</exception>
    public static Target SegmentationPerExample(long category, Tensor masks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(category);
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.IsInvalid) throw new ArgumentException("The masks were disposed.", nameof(masks));
        if (masks.dim() < 2) throw new ArgumentException("Give one mask per example: (B, h, w).", nameof(masks));
        return Score((o, m) =>
        {
            RequireClass(o, category, "SegmentationPerExample", 1);
            var scores = o.select(1, category);
            if (!scores.shape.SequenceEqual(m.shape))
                throw new ArgumentException(
                    $"Target.SegmentationPerExample's masks have shape {Shapes.Format(m.shape)} (rows) but class scores have shape {Shapes.Format(scores.shape)}.", "target");
            var weighted = scores * m.to(scores.dtype);
            return weighted.reshape(weighted.shape[0], -1).sum(dim: 1);
        }, masks, $"segmentation[{category}] per example");
    }

    /// <summary>
    /// Finer-CAM's target (pytorch-grad-cam's <c>FinerWeightedTarget</c>): with p = softmax(o),
    /// Σ_c p_c·(o_main − alpha·o_c) / (Σ_c p_c + 1e-9) over the comparison classes c. Gradients flow through p too.
    /// </summary>
    /// <exception cref="ArgumentException">No comparison class, or a negative class.</exception>
    public static Target FinerWeighted(long mainClass, long[] comparisonClasses, double alpha = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mainClass);
        ArgumentNullException.ThrowIfNull(comparisonClasses);
        if (comparisonClasses.Length == 0 || comparisonClasses.Any(c => c < 0))
            throw new ArgumentException("Give at least one comparison class, none negative.", nameof(comparisonClasses));
        var comparisons = comparisonClasses.ToArray();
        return Score(o =>
        {
            RequireClass(o, Math.Max(mainClass, comparisons.Max()), "FinerWeighted");
            var main = o.select(-1, mainClass);
            var p = nn.functional.softmax(o, -1);
            Tensor? numerator = null, denominator = null;
            foreach (var c in comparisons)
            {
                var w = p.select(-1, c);
                var term = w * (main - alpha * o.select(-1, c));
                numerator = numerator is null ? term : numerator + term;
                denominator = denominator is null ? w : denominator + w;
            }
            return numerator! / (denominator! + 1e-9);
        }, $"finer[{mainClass} vs {string.Join(",", comparisons)}, α={alpha}]");
    }

    /// <summary>
    /// One target per example (pytorch-grad-cam's list of targets): example i is explained by <paramref name="targets"/>[i],
    /// applied to its own output row — e.g. <c>Target.PerExampleTargets(Target.Index(3), Target.Softmax(1))</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty, holds null, or holds a target that is itself per example.</exception>
    public static Target PerExampleTargets(params Target[] targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Length == 0) throw new ArgumentException("Give one target per example.", nameof(targets));
        for (int i = 0; i < targets.Length; i++)
        {
            if (targets[i] is null) throw new ArgumentException($"Target {i} is null.", nameof(targets));
            if (targets[i].ExampleCount is not null)
                throw new ArgumentException($"Target {i} ({targets[i]}) is itself per example; give targets that apply to any one example.", nameof(targets));
        }
        var functions = targets.Select(t => (Func<Tensor, Tensor>)(row => TargetSelector.Select(row.unsqueeze(0), t).squeeze(0))).ToArray();
        var list = targets.ToImmutableArray();
        return new(new TargetFunction("[" + string.Join(", ", list) + "]", null, null, null, functions.ToImmutableArray(), null));
    }

    /// <summary>
    /// Object detection (pytorch-grad-cam's <c>FasterRCNNBoxScoreTarget</c>) for a model whose output holds, per example,
    /// N predicted boxes as rows [x1, y1, x2, y2, score of class 0, …, score of class K−1], shape (B, N, 4 + K). For each
    /// reference box (<paramref name="boxes"/>, (M, 4) in the same corner format) with its class <paramref name="labels"/>[m],
    /// the predicted box with the highest IoU is found; when that IoU exceeds <paramref name="iouThreshold"/> and the
    /// box's predicted class (the highest class score) is the reference class, IoU + that class's score is added.
    /// Boxes that match nothing add 0. The same reference boxes serve every example.
    /// </summary>
    /// <exception cref="ArgumentException">Boxes not (M, 4), or labels of another length.</exception>
    public static Target DetectionBoxes(Tensor boxes, long[] labels, double iouThreshold = 0.5)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(labels);
        if (boxes.IsInvalid) throw new ArgumentException("The boxes were disposed.", nameof(boxes));
        if (boxes.dim() != 2 || boxes.shape[1] != 4) throw new ArgumentException($"Reference boxes must be (M, 4); got {Shapes.Format(boxes.shape)}.", nameof(boxes));
        if (labels.Length != boxes.shape[0]) throw new ArgumentException($"Give one label per box: {boxes.shape[0]} boxes, {labels.Length} labels.", nameof(labels));
        var refs = boxes;
        var classes = labels.ToArray();
        return Score(o =>
        {
            if (o.dim() != 3 || o.shape[2] < 5)
                throw new ArgumentException($"Target.DetectionBoxes needs an output (B, boxes, 4 + classes); the model returned {Shapes.Format(o.shape)}.", "target");
            long k = o.shape[2] - 4;
            if (classes.Any(c => c < 0 || c >= k)) throw new ArgumentException($"A detection label is outside the output's {k} classes.", "target");
            var predicted = o.narrow(2, 0, 4);                                         // (B, N, 4)
            var classScores = o.narrow(2, 4, k);                                       // (B, N, K)
            var predictedClass = classScores.argmax(2);                                // (B, N)
            var r = refs.to(o.dtype, o.device);
            Tensor total = zeros(o.shape[0], dtype: o.dtype, device: o.device);
            for (int m = 0; m < classes.Length; m++)
            {
                var iou = BoxIou(r[m], predicted);                                    // (B, N)
                var best = iou.argmax(1, keepdim: true);                              // (B, 1)
                var bestIou = iou.gather(1, best).squeeze(1);
                var bestClass = predictedClass.gather(1, best).squeeze(1);
                var bestScore = classScores.select(2, classes[m]).gather(1, best).squeeze(1);
                var hit = (bestIou > iouThreshold).logical_and(bestClass == classes[m]);
                total = total + where(hit, bestIou + bestScore, zeros_like(bestIou));
            }
            return total;
        }, $"detection[{string.Join(",", classes)}]");
    }

    /// <summary>
    /// Embedding similarity: the cosine similarity of each example's output vector (B, D) with <paramref name="reference"/>,
    /// one vector (D) shared by every example or one per example (B, D).
    /// </summary>
    /// <exception cref="ArgumentException">The reference is disposed or not a vector or matrix.</exception>
    public static Target Similarity(Tensor reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.IsInvalid) throw new ArgumentException("The reference embedding was disposed.", nameof(reference));
        if (reference.dim() is not (1 or 2)) throw new ArgumentException($"The reference is (D) or (B, D); got {Shapes.Format(reference.shape)}.", nameof(reference));
        if (reference.dim() == 2)
            return Score((o, r) => nn.functional.cosine_similarity(o.reshape(o.shape[0], -1), r.to(o.dtype), 1), reference, "similarity");
        var shared = reference;
        return Score(o => nn.functional.cosine_similarity(o.reshape(o.shape[0], -1), shared.to(o.dtype, o.device).unsqueeze(0), 1), "similarity");
    }

    private static Tensor BoxIou(Tensor box, Tensor boxes)
    {
        var x1 = maximum(boxes.select(-1, 0), box[0]);
        var y1 = maximum(boxes.select(-1, 1), box[1]);
        var x2 = minimum(boxes.select(-1, 2), box[2]);
        var y2 = minimum(boxes.select(-1, 3), box[3]);
        var inter = (x2 - x1).clamp_min(0) * (y2 - y1).clamp_min(0);
        var areaA = (box[2] - box[0]) * (box[3] - box[1]);
        var areaB = (boxes.select(-1, 2) - boxes.select(-1, 0)) * (boxes.select(-1, 3) - boxes.select(-1, 1));
        return inter / (areaA + areaB - inter);
    }

    private static void RequireClass(Tensor o, long category, string what, int axis = -1)
    {
        if (o.dim() < 2)
            throw new ArgumentException($"Target.{what} needs an output with a class axis; the model returned {Shapes.Format(o.shape)}.", "target");
        long classes = axis < 0 ? o.shape[^1] : o.shape[axis];
        if (category >= classes)
            throw new ArgumentOutOfRangeException("target", $"Target.{what}: class {category} is out of range for an output of shape {Shapes.Format(o.shape)}.");
    }
}
