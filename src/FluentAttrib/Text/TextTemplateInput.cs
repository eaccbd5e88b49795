using System.Collections.Immutable;
using System.Text;
using static TorchSharp.torch;

namespace FluentAttrib.Text;

/// <summary>
/// Text built from a template whose fields are the interpretable features (Captum's <c>TextTemplateInput</c>):
/// <c>"{} lives in {}"</c> with values <c>["Dave", "Palm Coast"]</c>, or named fields <c>"{name} lives in {city}"</c>
/// with values given in order as key/value pairs. An absent value is replaced by its baseline string (default
/// <c>""</c>: its words disappear and later tokens move up). Values with the same mask id form one feature and are
/// switched together; attributions are reported per value, each value carrying its group's full attribution. The
/// template follows Python's <c>str.format</c> field syntax: <c>{}</c>, <c>{0}</c>, <c>{name}</c>, and <c>{{</c> /
/// <c>}}</c> for braces (format specifications and conversions are not supported). A presence entry equal to 0 means
/// absent.
/// </summary>
public sealed class TextTemplateInput : InterpretableText
{
    private readonly ImmutableArray<Segment> _segments;
    private readonly ImmutableArray<string> _baselines;
    private readonly ImmutableArray<int> _featureOfValue;
    private readonly int _featureCount;

    /// <summary>A template with positional fields (<c>{}</c> or <c>{0}</c>) filled from <paramref name="values"/>.</summary>
    /// <param name="template">The template, e.g. <c>"{} lives in {}"</c>.</param>
    /// <param name="values">One string per field index.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="baselines">One replacement string per value for when it is absent; <c>""</c> for each when null.</param>
    /// <param name="mask">One group id per value (any integers); values with the same id are one feature. Null = one feature per value.</param>
    public TextTemplateInput(string template, IReadOnlyList<string> values, ITextTokenizer tokenizer,
        IReadOnlyList<string>? baselines = null, IReadOnlyList<int>? mask = null)
        : this(template, Check(values, nameof(values)), null, tokenizer, baselines, mask)
    {
    }

    /// <summary>A template with named fields (<c>{name}</c>); the order of <paramref name="values"/> is the feature order.</summary>
    /// <param name="template">The template, e.g. <c>"{name} lives in {city}"</c>.</param>
    /// <param name="values">The values by field name, in feature order.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="baselines">A replacement string for every key of <paramref name="values"/>; <c>""</c> for each when null.</param>
    /// <param name="mask">A group id for every key of <paramref name="values"/>; null = one feature per value.</param>
    public TextTemplateInput(string template, IEnumerable<KeyValuePair<string, string>> values, ITextTokenizer tokenizer,
        IEnumerable<KeyValuePair<string, string>>? baselines = null, IEnumerable<KeyValuePair<string, int>>? mask = null)
        : this(template, Named(values, out var keys), keys, tokenizer, ByKeys(baselines, keys, nameof(baselines)), ByKeys(mask, keys, nameof(mask)))
    {
    }

    private TextTemplateInput(string template, IReadOnlyList<string> values, ImmutableArray<string>? keys, ITextTokenizer tokenizer,
        IReadOnlyList<string>? baselines, IReadOnlyList<int>? mask) : base(tokenizer)
    {
        ArgumentNullException.ThrowIfNull(template);
        Template = template;
        Values = values.ToImmutableArray();
        Keys = keys ?? [];
        _segments = Parse(template, keys);
        foreach (var s in _segments)
            if (s.Field is { } f && f >= values.Count)
                throw new ArgumentException($"The template refers to field {f} but only {values.Count} value(s) were given.", nameof(values));
        if (baselines is not null)
        {
            if (baselines.Count != values.Count)
                throw new ArgumentException($"Give one baseline per value: {values.Count} values, {baselines.Count} baselines.", nameof(baselines));
            if (baselines.Any(b => b is null)) throw new ArgumentException("A baseline is null.", nameof(baselines));
        }
        _baselines = baselines?.ToImmutableArray() ?? Enumerable.Repeat("", values.Count).ToImmutableArray();
        if (mask is not null)
        {
            if (mask.Count != values.Count)
                throw new ArgumentException($"Give one mask id per value: {values.Count} values, {mask.Count} mask ids.", nameof(mask));
            var ids = mask.Distinct().Order().ToList();
            _featureOfValue = mask.Select(m => ids.IndexOf(m)).ToImmutableArray();
            _featureCount = ids.Count;
            Mask = mask.ToImmutableArray();
        }
        else
        {
            _featureOfValue = Enumerable.Range(0, values.Count).ToImmutableArray();
            _featureCount = values.Count;
        }
        if (_featureCount == 0) throw new ArgumentException("The template input has no value to attribute.", nameof(values));
    }

    /// <summary>Each word of <paramref name="text"/> (split on white space) becomes a value of a template that joins
    /// them with single spaces; an absent word becomes <paramref name="baseline"/> (by default it is removed).</summary>
    /// <param name="text">The text.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="baseline">What an absent word becomes, e.g. <c>"[MASK]"</c>; <c>""</c> removes it.</param>
    public static TextTemplateInput FromWords(string text, ITextTokenizer tokenizer, string baseline = "")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(baseline);
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) throw new ArgumentException("The text has no word.", nameof(text));
        string template = string.Join(' ', Enumerable.Repeat("{}", words.Length));
        return new TextTemplateInput(template, words, tokenizer, Enumerable.Repeat(baseline, words.Length).ToArray());
    }

    /// <summary>The template.</summary>
    public string Template { get; }

    /// <summary>The field names, in feature order, of a template with named fields (empty for positional fields).</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>The replacement string of each value.</summary>
    public IReadOnlyList<string> Baselines => _baselines;

    /// <summary>The group id of each value, or null when every value is its own feature.</summary>
    public IReadOnlyList<int>? Mask { get; }

    /// <summary>For each value, the index of its interpretable feature (groups numbered in ascending order of their mask ids).</summary>
    public IReadOnlyList<int> FeatureOfValue => _featureOfValue;

    /// <summary>The values (one attribution column each after <see cref="FormatAttribution"/>).</summary>
    public override IReadOnlyList<string> Values { get; }

    /// <inheritdoc/>
    public override int FeatureCount => _featureCount;

    /// <inheritdoc/>
    public override string ToText(Tensor? presence = null) => Format(presence is null ? null : SingleRow(presence));

    /// <inheritdoc/>
    public override Tensor FormatAttribution(Tensor attribution)
    {
        CheckAttribution(attribution);
        if (Mask is null) return attribution.alias();
        using var index = tensor(_featureOfValue.Select(i => (long)i).ToArray(), ScalarType.Int64, attribution.device);
        return attribution.index_select(-1, index);
    }

    private protected override long[] TokenIdsOf(double[] presence) =>
        Tokenizer.Encode(Format(presence), addSpecialTokens: true).Select(i => (long)i).ToArray();

    private string Format(double[]? presence)
    {
        var sb = new StringBuilder();
        foreach (var s in _segments)
        {
            if (s.Field is not { } f) sb.Append(s.Literal);
            else sb.Append(presence is not null && presence[_featureOfValue[f]] == 0.0 ? _baselines[f] : Values[f]);
        }
        return sb.ToString();
    }

    private readonly record struct Segment(string? Literal, int? Field);

    private static ImmutableArray<Segment> Parse(string template, ImmutableArray<string>? keys)
    {
        var segments = ImmutableArray.CreateBuilder<Segment>();
        var literal = new StringBuilder();
        int auto = 0;
        bool? automatic = null;
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if (c == '}')
            {
                if (i + 1 < template.Length && template[i + 1] == '}') { literal.Append('}'); i++; continue; }
                throw new ArgumentException($"Single '}}' at position {i} of the template; write '}}}}' for a brace.", nameof(template));
            }
            if (c != '{') { literal.Append(c); continue; }
            if (i + 1 < template.Length && template[i + 1] == '{') { literal.Append('{'); i++; continue; }
            int close = template.IndexOf('}', i + 1);
            if (close < 0) throw new ArgumentException($"Unclosed '{{' at position {i} of the template.", nameof(template));
            string name = template[(i + 1)..close];
            if (name.IndexOfAny([':', '!', '{', '[', '.']) >= 0)
                throw new ArgumentException($"Template field '{{{name}}}': format specifications, conversions, indexing and nested fields are not supported.", nameof(template));
            int field;
            if (keys is { } k)
            {
                if (name.Length == 0 || char.IsDigit(name[0]))
                    throw new ArgumentException($"Template field '{{{name}}}' is positional but the values are named; name every field.", nameof(template));
                field = k.IndexOf(name);
                if (field < 0) throw new ArgumentException($"Template field '{{{name}}}' has no value (keys: {string.Join(", ", k)}).", nameof(template));
            }
            else if (name.Length == 0)
            {
                if (automatic == false) throw new ArgumentException("The template mixes automatic '{}' and numbered '{0}' fields.", nameof(template));
                automatic = true;
                field = auto++;
            }
            else if (int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out field))
            {
                if (automatic == true) throw new ArgumentException("The template mixes automatic '{}' and numbered '{0}' fields.", nameof(template));
                automatic = false;
            }
            else
            {
                throw new ArgumentException($"Template field '{{{name}}}' is named but the values are a list; give the values by name.", nameof(template));
            }
            if (literal.Length > 0) { segments.Add(new Segment(literal.ToString(), null)); literal.Clear(); }
            segments.Add(new Segment(null, field));
            i = close;
        }
        if (literal.Length > 0) segments.Add(new Segment(literal.ToString(), null));
        return segments.ToImmutable();
    }

    private static IReadOnlyList<string> Check(IReadOnlyList<string> values, string paramName)
    {
        ArgumentNullException.ThrowIfNull(values, paramName);
        if (values.Any(v => v is null)) throw new ArgumentException("A value is null.", paramName);
        return values;
    }

    private static IReadOnlyList<string> Named(IEnumerable<KeyValuePair<string, string>> values, out ImmutableArray<string>? keys)
    {
        ArgumentNullException.ThrowIfNull(values);
        var pairs = values.ToList();
        if (pairs.Select(p => p.Key).Distinct().Count() != pairs.Count) throw new ArgumentException("A key appears twice.", nameof(values));
        if (pairs.Any(p => p.Key is null || p.Value is null)) throw new ArgumentException("A key or value is null.", nameof(values));
        keys = pairs.Select(p => p.Key).ToImmutableArray();
        return pairs.Select(p => p.Value).ToArray();
    }

    private static IReadOnlyList<T>? ByKeys<T>(IEnumerable<KeyValuePair<string, T>>? pairs, ImmutableArray<string>? keys, string paramName)
    {
        if (pairs is null) return null;
        var map = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var p in pairs)
            if (!map.TryAdd(p.Key, p.Value)) throw new ArgumentException($"Key '{p.Key}' appears twice.", paramName);
        var result = new List<T>();
        foreach (var k in keys!.Value)
            result.Add(map.TryGetValue(k, out var v) ? v : throw new ArgumentException($"No entry for key '{k}' (give one for every value).", paramName));
        if (map.Count != result.Count) throw new ArgumentException($"Keys {string.Join(", ", map.Keys.Except(keys.Value))} are not keys of the values.", paramName);
        return result;
    }
}
