using Microsoft.CodeAnalysis;

namespace FluentAttrib.Generators.Diagnostics
{
    /// <summary>
    /// Every diagnostic of FluentAttrib's layer annotations. IDs are stable: never reuse or renumber one; record new
    /// ones in AnalyzerReleases.Unshipped.md. FA1xxx: typed layers and neurons.
    /// </summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "FluentAttrib.Layers";

        /// <summary>Where each ID is explained (an anchor per ID, lower case).</summary>
        public const string HelpLinkBase = "generators/FluentAttrib.Generators/DIAGNOSTICS.md";

        public static readonly DiagnosticDescriptor TypeNotPartial = Create(
            "FA1001", "Explainable type must be partial",
            "'{0}' must be declared partial so that FluentAttrib can generate its layer accessors",
            DiagnosticSeverity.Error,
            "The generator adds the layer accessors to the [Explainable] type (or to a nested 'Layers' class), so the type and every type that contains it must be 'partial'.");

        public static readonly DiagnosticDescriptor NotAModule = Create(
            "FA1002", "Layer is not a TorchSharp module",
            "{0} is not a TorchSharp module: '{1}' does not derive from TorchSharp.torch.nn.Module",
            DiagnosticSeverity.Error,
            "Only modules have outputs to attribute to: a marked field, the type a wrapper wraps, a layer's ModuleType and a module class marked [Explainable] must all derive from TorchSharp.torch.nn.Module.");

        public static readonly DiagnosticDescriptor DuplicateName = Create(
            "FA1003", "Duplicate layer accessor name",
            "Layer accessor name '{0}' conflicts with {1}",
            DiagnosticSeverity.Error,
            "Each layer becomes a static property named after it; two layers, or a layer and an existing member, 'All', or the enclosing class, cannot share a name. Set Name to choose another.");

        public static readonly DiagnosticDescriptor PathNotFound = Create(
            "FA1004", "Module path does not exist",
            "Module path '{0}' does not exist on '{1}': '{2}' has no child module '{3}' (its child modules: {4})",
            DiagnosticSeverity.Warning,
            "TorchSharp registers a module's children under their field names (or [ComponentName]). The path was resolved through those fields at compile time; Sequential, ModuleList and ModuleDict children and abstract field types cannot be checked. A child registered by hand with register_module is not seen: suppress the warning in that case.");

        public static readonly DiagnosticDescriptor NeuronIndexOutOfRange = Create(
            "FA1005", "Neuron index out of range",
            "Neuron index {0} is out of range for dimension {1} of layer '{2}', whose declared shape is ({3}){4}",
            DiagnosticSeverity.Error,
            "A constant neuron index must lie in [-size, size) of its dimension of the layer's declared output shape (without batch); ^k counts from the end (1 <= k <= size). A constant slice (0..2, ^2.., NeuronAxis.Slice) is clamped to the dimension as in Python, and must select at least one position.");

        public static readonly DiagnosticDescriptor NeuronArity = Create(
            "FA1006", "Wrong number of neuron indices",
            "Layer '{0}' declares shape ({1}), so a neuron needs {2}, not {3}",
            DiagnosticSeverity.Error,
            "A neuron of a layer with a declared output shape is selected by one index (or slice) per dimension of that shape.");

        public static readonly DiagnosticDescriptor NonPositiveDimension = Create(
            "FA1007", "Shape dimension must be positive",
            "Dimension {0} of layer '{1}' is {2}; output shape dimensions must be positive",
            DiagnosticSeverity.Error,
            "A declared output shape lists the layer's output sizes without the batch dimension; each size is at least 1.");

        public static readonly DiagnosticDescriptor RankTooHigh = Create(
            "FA1008", "Too many shape dimensions",
            "Layer '{0}' declares {1} output dimensions; at most 4 (without batch) are supported",
            DiagnosticSeverity.Error,
            "Typed neuron accessors exist for ranks 1 to 4 (Rank1 … Rank4). Declare no shape to get an untyped handle.");

        public static readonly DiagnosticDescriptor InvalidPath = Create(
            "FA1009", "Invalid module path",
            "'{0}' is not a valid module path: {1}",
            DiagnosticSeverity.Error,
            "A module path is the dotted name that named_modules lists, e.g. \"layer4.1.conv2\": non-empty segments, no whitespace.");

        public static readonly DiagnosticDescriptor InvalidName = Create(
            "FA1010", "Invalid layer accessor name",
            "Layer accessor name '{0}' is not a valid C# identifier",
            DiagnosticSeverity.Error,
            "The accessor name becomes a property name; it must be a C# identifier and not a keyword. For a field, the default is the field name in PascalCase; set Name to choose another.");

        public static readonly DiagnosticDescriptor AttributeIgnored = Create(
            "FA1011", "Layer attribute is ignored",
            "[{0}] on '{1}' is ignored: {2}",
            DiagnosticSeverity.Warning,
            "[AttributionLayer] marks fields of a partial module class marked [Explainable]; [Layer] goes on a class marked [Explainable]. Elsewhere they generate nothing.");

        public static readonly DiagnosticDescriptor NotOneTensorModule = Create(
            "FA1012", "Layer module does not map one tensor to one tensor",
            "{0} cannot be used by layer methods: its forward is {1}, but layer attribution hooks need a module that takes one tensor and returns one (nn.Module<Tensor, Tensor>)",
            DiagnosticSeverity.Warning,
            "Layer and neuron methods hook a layer's output (or input), so the layer must take one tensor and return one. Recurrent modules (LSTM, GRU, RNN) return tuples: mark a module that takes their output instead, or wrap the recurrent module in a module of your own that returns one tensor.");

        private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity, string description) =>
            new(id, title, message, Category, severity, isEnabledByDefault: true, description: description,
                helpLinkUri: HelpLinkBase + "#" + id.ToLowerInvariant());
    }
}
