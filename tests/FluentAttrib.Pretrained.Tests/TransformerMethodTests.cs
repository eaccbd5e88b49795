using FluentAttrib.Architectures;
using Xunit;
using Xunit.Abstractions;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained.Tests;

/// <summary>
/// The attention-aware methods and AttnLRP / CP-LRP on the real MiniLM encoder, explaining the cosine similarity of a
/// sentence to a paraphrase: properties each method guarantees, padding invariance, and conservation measured at the
/// summed embeddings.
/// </summary>
public sealed class TransformerMethodTests(SentenceEncoderFixture fixture, ITestOutputHelper output) : IClassFixture<SentenceEncoderFixture>
{
    private const string Query = "A man is playing a guitar.";
    private const string Match = "Someone plays an acoustic guitar on stage.";

    private void Show(string method, IReadOnlyList<string> tokens, Tensor row)
    {
        var v = row.to(ScalarType.Float64).data<double>().ToArray();
        output.WriteLine($"{method}: " + string.Join(" ", tokens.Select((t, i) => $"{t}:{v[i]:F3}")));
    }

    [Fact]
    public void Rollout_and_flow_are_distributions_over_the_real_tokens_and_ignore_padding()
    {
        using var scope = NewDisposeScope();
        using var batch = fixture.Tokenizer.Encode(Query, "The quarterly revenue of the company grew by twelve percent.");
        using var alone = fixture.Tokenizer.Encode(Query);
        int length = alone.Tokens[0].Count;
        foreach (var method in new AttributionMethod[] { AttentionRollout.Default.Readout(AttentionReadout.MeanOfTokens), AttentionFlow.Default.Readout(AttentionReadout.MeanOfTokens) })
        {
            using var padded = Explain(fixture.Model).With(method).WithAdditionalArguments(batch.Mask).Attribute(batch.Ids);
            using var single = Explain(fixture.Model).With(method).WithAdditionalArguments(alone.Mask).Attribute(alone.Ids);
            Show(method.Describe(), alone.Tokens[0], single.Value[0]);
            // Padding gets nothing, and the padded sentence's relevance equals its relevance alone.
            Assert.Equal(0, padded.Value[0, length..].abs().sum().item<float>());
            double diff = (padded.Value[0, ..length] - single.Value[0]).abs().max().item<float>();
            Assert.True(diff < 1e-5, $"{method.Describe()}: padding changed the relevance by {diff:E2}");
            Assert.True(single.Value.min().item<float>() >= 0);
            Assert.True(single.Value.max().item<float>() <= 1 + 1e-6);
        }
        using var rollout = Explain(fixture.Model).With(AttentionRollout.Default).WithAdditionalArguments(alone.Mask).Attribute(alone.Ids);
        Assert.Equal(1.0, rollout.Value.sum().item<float>(), 5);
    }

    [Fact]
    public void Gradient_weighted_rollout_explains_the_similarity_target()
    {
        using var scope = NewDisposeScope();
        var reference = fixture.Embed(Match);
        using var query = fixture.Tokenizer.Encode(Query);
        using var gwr = Explain(fixture.Model).For(SentenceEncoderFixture.CosineTo(reference))
            .With(GradientWeightedRollout.Default.Readout(AttentionReadout.MeanOfTokens))
            .WithAdditionalArguments(query.Mask).Attribute(query.Ids);
        Show(gwr.Method, query.Tokens[0], gwr.Value[0]);
        Assert.Equal([1L, query.Ids.shape[1]], gwr.Value.shape);
        Assert.True(gwr.Value.min().item<float>() >= 0);
        Assert.True(gwr.Value.sum().item<float>() > 0);
        // A different reference changes the explanation: the method is target-specific, unlike rollout.
        var other = fixture.Embed("The man is eating pasta.");
        using var gwr2 = Explain(fixture.Model).For(SentenceEncoderFixture.CosineTo(other))
            .With(GradientWeightedRollout.Default.Readout(AttentionReadout.MeanOfTokens))
            .WithAdditionalArguments(query.Mask).Attribute(query.Ids);
        Assert.True((gwr.Value - gwr2.Value).abs().max().item<float>() > 1e-4);
    }

    [Fact]
    public void AttnLRP_and_CP_LRP_relevance_at_the_embeddings_against_the_similarity()
    {
        using var scope = NewDisposeScope();
        var reference = fixture.Embed(Match);
        using var query = fixture.Tokenizer.Encode(Query);
        float similarity;
        using (no_grad()) similarity = nn.functional.cosine_similarity(fixture.Model.call(query.Ids, query.Mask), reference, dim: 1).item<float>();
        foreach (var method in new[] { AttnLrp.Default, AttnLrp.ConservativePropagation })
        {
            using var lrp = Explain(fixture.Model).For(SentenceEncoderFixture.CosineTo(reference)).AtInputOf("embeddings.LayerNorm")
                .With(method.ReturnDelta()).WithAdditionalArguments(query.Mask).Attribute(query.Ids);
            var perToken = lrp.Value.sum(2)[0];
            double total = perToken.sum().item<float>();
            output.WriteLine($"{method.Describe()}: Σ relevance at the summed embeddings {total:F4} for cosine {similarity:F4} " +
                             $"(conserved {100 * total / similarity:F1}%, delta {lrp.Delta!.item<float>():F4})");
            Show(method.Describe(), query.Tokens[0], perToken);
            Assert.Equal(similarity, total + lrp.Delta!.item<float>(), 4);
            var v = perToken.data<float>().ToArray();
            int guitar = query.Tokens[0].ToList().IndexOf("guitar");
            Assert.Equal(guitar, Array.IndexOf(v, v.Max()));

            // Where the relevance goes: what is left at the input of the last LayerNorm (its β and the rest absorbed above).
            using var top = Explain(fixture.Model).For(SentenceEncoderFixture.CosineTo(reference)).AtInputOf("encoder.layer.5.output.LayerNorm")
                .With(method).WithAdditionalArguments(query.Mask).Attribute(query.Ids);
            output.WriteLine($"{method.Describe()}: Σ relevance at the input of the last LayerNorm {top.Value.sum().item<float>():F4}");
        }
    }
}
