using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace FluentAttrib.Generators.Diagnostics
{
    /// <summary>
    /// Reads the neuron indices of a call to one of FluentAttrib's index <c>Neuron</c> methods — the typed
    /// <c>NeuronExtensions.Neuron(layer, i, j, …)</c> (one parameter per dimension) or the untyped
    /// <c>LayerExplainer.Neuron(params NeuronAxis[])</c> — one expression per dimension, and evaluates the constant ones
    /// with <c>NeuronAxis</c>'s conversions (ints, <c>^k</c>, ranges, <c>NeuronAxis.At/Slice/From…</c>).
    /// </summary>
    internal static class NeuronArguments
    {
        /// <summary>
        /// The index expressions, one per dimension, or null when the call is not to an index <c>Neuron</c> method of
        /// FluentAttrib (e.g. <c>Neuron(Func&lt;Tensor, Tensor&gt;)</c>) or the number of indices is not known (an
        /// array from elsewhere, a spread). A typed call with the wrong arity does not bind; its written arguments
        /// are read then, so the analyzer can say how many indices the layer needs.
        /// </summary>
        public static IReadOnlyList<IOperation?>? Read(InvocationExpressionSyntax invocation, SemanticModel model, INamedTypeSymbol neuronAxis,
            CancellationToken cancellationToken)
        {
            var info = model.GetSymbolInfo(invocation, cancellationToken);
            if (info.Symbol is IMethodSymbol method)
            {
                if (!IsIndexNeuron(method, neuronAxis)) return null;
                if (model.GetOperation(invocation, cancellationToken) is not IInvocationOperation call) return null;
                var indices = new List<IOperation?>();
                foreach (var argument in call.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? -1))
                {
                    if (argument.Parameter is null) return null;
                    if (IsReceiver(argument.Parameter)) continue;
                    if (argument.Parameter.Type is IArrayTypeSymbol)
                    {
                        var elements = Elements(argument.Value);
                        if (elements is null) return null;
                        indices.AddRange(elements);
                    }
                    else indices.Add(argument.Value);
                }
                return indices;
            }

            // Overload resolution failed. For a typed explainer with the wrong arity the candidates are only its
            // instance Neuron(Func<Tensor, Tensor>) (no extension applied): written indices count as indices unless
            // one of them is a function.
            if (info.CandidateReason != CandidateReason.OverloadResolutionFailure ||
                !info.CandidateSymbols.OfType<IMethodSymbol>().Any(IsFluentAttribNeuron))
                return null;
            var written = invocation.ArgumentList.Arguments;
            if (written.Any(a => a.NameColon is not null || !a.RefKindKeyword.IsKind(SyntaxKind.None) ||
                    a.Expression is CollectionExpressionSyntax or AnonymousFunctionExpressionSyntax ||
                    model.GetTypeInfo(a.Expression, cancellationToken).Type is IArrayTypeSymbol or INamedTypeSymbol { TypeKind: TypeKind.Delegate }))
                return null;
            return written.Select(a => model.GetOperation(a.Expression, cancellationToken)).ToList();
        }

        /// <summary>
        /// Checks a constant index against a dimension of size <paramref name="size"/> as the runtime does; null when
        /// it fits (or is not constant), else the index as written and why it does not fit.
        /// </summary>
        public static (string Index, string Reason)? Problem(IOperation? index, long size, INamedTypeSymbol neuronAxis)
        {
            var axis = Evaluate(index, neuronAxis);
            switch (axis.Kind)
            {
                case AxisKind.Position when axis.Position < -size || axis.Position >= size:
                    return (axis.Text, "");
                case AxisKind.PastTheEnd:
                    return (axis.Text, "; ^0 is past the end of a dimension");
                case AxisKind.Slice when Count(axis.Start, axis.Stop, axis.Step, size) == 0:
                    return (axis.Text, "; a slice must select at least one position");
                default:
                    return null;
            }
        }

        private static bool IsFluentAttribNeuron(IMethodSymbol method) =>
            method.Name == "Neuron" && method.ContainingNamespace?.ToDisplayString() == "FluentAttrib";

        private static bool IsIndexNeuron(IMethodSymbol method, INamedTypeSymbol neuronAxis)
        {
            method = method.ReducedFrom ?? method;
            if (!IsFluentAttribNeuron(method)) return false;
            var parameters = method.Parameters.Where(p => !IsReceiver(p)).ToList();
            return parameters.Count > 0 && parameters.All(p =>
                SymbolEqualityComparer.Default.Equals(p.Type, neuronAxis) ||
                p.Type is IArrayTypeSymbol array && SymbolEqualityComparer.Default.Equals(array.ElementType, neuronAxis));
        }

        /// <summary>The <c>this</c> parameter of an extension method (its receiver).</summary>
        private static bool IsReceiver(IParameterSymbol parameter) =>
            parameter.Ordinal == 0 && parameter.ContainingSymbol is IMethodSymbol { IsExtensionMethod: true, MethodKind: not MethodKind.ReducedExtension };

        /// <summary>The elements of an array argument written in place (params, <c>new[] { … }</c>, <c>[…]</c>).</summary>
        private static IEnumerable<IOperation?>? Elements(IOperation value)
        {
            value = Unwrap(value)!;
            switch (value)
            {
                case IArrayCreationOperation { Initializer: { } initializer }:
                    return initializer.ElementValues;
                case ICollectionExpressionOperation collection when !collection.Elements.Any(e => e is ISpreadOperation):
                    return collection.Elements;
                default:
                    return null;
            }
        }

        private enum AxisKind { Unknown, Position, PastTheEnd, Slice }

        private readonly struct Axis
        {
            public Axis(AxisKind kind, string text, long position = 0, long? start = null, long? stop = null, long step = 1)
            {
                Kind = kind;
                Text = text;
                Position = position;
                Start = start;
                Stop = stop;
                Step = step;
            }

            public AxisKind Kind { get; }
            public string Text { get; }
            public long Position { get; }
            public long? Start { get; }
            public long? Stop { get; }
            public long Step { get; }

            public static Axis Unknown => new(AxisKind.Unknown, "");
        }

        /// <summary>An index as <c>NeuronAxis</c>'s conversions read it.</summary>
        private static Axis Evaluate(IOperation? operation, INamedTypeSymbol neuronAxis)
        {
            var value = Unwrap(operation);
            if (value is null) return Axis.Unknown;
            if (Integer(value) is { } position)
                return new Axis(AxisKind.Position, position.ToString(CultureInfo.InvariantCulture), position);
            if (FromEnd(value) is { } fromEnd)
                return fromEnd == 0
                    ? new Axis(AxisKind.PastTheEnd, "^0")
                    : new Axis(AxisKind.Position, "^" + fromEnd.ToString(CultureInfo.InvariantCulture), -fromEnd);
            if (value is IRangeOperation range)
                return Range(range);
            if (value is IInvocationOperation call && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, neuronAxis))
            {
                var arguments = call.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? -1).Select(a => a.Value).ToList();
                string text = value.Syntax.ToString();
                switch (call.TargetMethod.Name)
                {
                    case "At" or "FromInt64" or "FromIndex" when arguments.Count == 1:
                        var inner = Evaluate(arguments[0], neuronAxis);
                        return inner.Kind is AxisKind.Position or AxisKind.PastTheEnd ? new Axis(inner.Kind, text, inner.Position) : Axis.Unknown;
                    case "FromRange" when arguments.Count == 1 && Unwrap(arguments[0]) is IRangeOperation r:
                        var slice = Range(r);
                        return slice.Kind == AxisKind.Slice ? new Axis(AxisKind.Slice, text, 0, slice.Start, slice.Stop, slice.Step) : Axis.Unknown;
                    case "Slice" when arguments.Count == 3:
                        if (!NullableInteger(arguments[0], out var start) || !NullableInteger(arguments[1], out var stop) ||
                            Integer(Unwrap(arguments[2])) is not { } step || step < 1)
                            return Axis.Unknown;
                        return new Axis(AxisKind.Slice, text, 0, start, stop, step);
                }
            }
            return Axis.Unknown;
        }

        /// <summary>A range <c>a..b</c> as <c>NeuronAxis</c>'s conversion reads it (<c>^0</c> start: past the end; <c>^0</c> end: to the end).</summary>
        private static Axis Range(IRangeOperation range)
        {
            long? start = 0, stop = null;
            if (range.LeftOperand is { } left)
            {
                var l = Unwrap(left)!;
                if (Integer(l) is { } s) start = s;
                else if (FromEnd(l) is { } e) start = e == 0 ? long.MaxValue : -e;
                else return Axis.Unknown;
            }
            if (range.RightOperand is { } right)
            {
                var r = Unwrap(right)!;
                if (Integer(r) is { } s) stop = s;
                else if (FromEnd(r) is { } e) stop = e == 0 ? null : -e;
                else return Axis.Unknown;
            }
            return new Axis(AxisKind.Slice, range.Syntax.ToString(), 0, start, stop);
        }

        /// <summary>Python's slice length for a dimension of size <paramref name="size"/> (what the runtime computes).</summary>
        private static long Count(long? start, long? stop, long step, long size)
        {
            static long Clamp(long? v, long size, long fallback)
            {
                if (v is null) return fallback;
                long x = v.Value < 0 ? v.Value + size : v.Value;
                return x < 0 ? 0 : x > size ? size : x;
            }
            long s = Clamp(start, size, 0), e = Clamp(stop, size, size);
            return e <= s ? 0 : (e - s + step - 1) / step;
        }

        private static long? FromEnd(IOperation value) =>
            value is IUnaryOperation { OperatorKind: UnaryOperatorKind.Hat } hat && Integer(Unwrap(hat.Operand)) is { } k && k >= 0 ? k : null;

        private static bool NullableInteger(IOperation? operation, out long? value)
        {
            value = null;
            var unwrapped = Unwrap(operation);
            if (unwrapped is null) return false;
            if (unwrapped.ConstantValue is { HasValue: true, Value: null }) return true;
            value = Integer(unwrapped);
            return value is not null;
        }

        private static long? Integer(IOperation? operation) =>
            operation?.ConstantValue is { HasValue: true, Value: { } v } && v is int or long or short or sbyte or byte or ushort or uint
                ? System.Convert.ToInt64(v, CultureInfo.InvariantCulture)
                : null;

        /// <summary>Strips conversions (to <c>NeuronAxis</c>, <c>Index</c>, <c>long</c>, <c>long?</c>).</summary>
        private static IOperation? Unwrap(IOperation? operation)
        {
            while (operation is IConversionOperation conversion) operation = conversion.Operand;
            return operation;
        }
    }
}
