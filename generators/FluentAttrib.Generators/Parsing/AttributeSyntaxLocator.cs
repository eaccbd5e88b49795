using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FluentAttrib.Generators.Parsing
{
    /// <summary>Finds the source location of an attribute's arguments, for precise diagnostics.</summary>
    internal readonly struct AttributeSyntaxLocator
    {
        private readonly AttributeData _attribute;
        private readonly AttributeSyntax? _syntax;

        public AttributeSyntaxLocator(AttributeData attribute, CancellationToken cancellationToken)
        {
            _attribute = attribute;
            _syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        }

        /// <summary>The whole attribute (or no location for an attribute read from metadata).</summary>
        public Location Attribute => _syntax?.GetLocation() ?? Location.None;

        /// <summary>The argument(s) bound to constructor parameter <paramref name="parameterIndex"/>.</summary>
        public IReadOnlyList<AttributeArgumentSyntax> ArgumentsOf(int parameterIndex)
        {
            var result = new List<AttributeArgumentSyntax>();
            if (_syntax?.ArgumentList is null || _attribute.AttributeConstructor is null) return result;
            var parameters = _attribute.AttributeConstructor.Parameters;
            int position = 0;
            foreach (var argument in _syntax.ArgumentList.Arguments)
            {
                if (argument.NameEquals is not null) continue;
                int index;
                if (argument.NameColon is not null)
                {
                    string name = argument.NameColon.Name.Identifier.ValueText;
                    index = -1;
                    for (int i = 0; i < parameters.Length; i++)
                        if (parameters[i].Name == name) index = i;
                }
                else
                {
                    index = parameters.Length == 0 ? -1 : System.Math.Min(position, parameters.Length - 1);
                }
                position++;
                if (index == parameterIndex) result.Add(argument);
            }
            return result;
        }

        /// <summary>The argument bound to constructor parameter <paramref name="parameterIndex"/>, else the attribute.</summary>
        public Location Argument(int parameterIndex)
        {
            var arguments = ArgumentsOf(parameterIndex);
            return arguments.Count > 0 ? arguments[0].GetLocation() : Attribute;
        }

        /// <summary>
        /// The expression giving element <paramref name="elementIndex"/> of a <c>params</c> array parameter, whether
        /// written as separate arguments or as one array (<c>new long[] { … }</c>, <c>[ … ]</c>); else the attribute.
        /// </summary>
        public Location ParamsElement(int parameterIndex, int elementIndex)
        {
            var arguments = ArgumentsOf(parameterIndex);
            if (arguments.Count == 1)
            {
                var elements = arguments[0].Expression switch
                {
                    ArrayCreationExpressionSyntax a => a.Initializer?.Expressions.Cast<SyntaxNode>().ToList(),
                    ImplicitArrayCreationExpressionSyntax i => i.Initializer.Expressions.Cast<SyntaxNode>().ToList(),
                    CollectionExpressionSyntax c => c.Elements.Cast<SyntaxNode>().ToList(),
                    _ => null,
                };
                if (elements is not null)
                    return elementIndex < elements.Count ? elements[elementIndex].GetLocation() : arguments[0].GetLocation();
            }
            return elementIndex < arguments.Count ? arguments[elementIndex].GetLocation() : Attribute;
        }

        /// <summary>The named argument <c>Name = …</c>, or null when it is not written.</summary>
        public Location? Named(string name)
        {
            var argument = _syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
            return argument?.GetLocation();
        }
    }
}
