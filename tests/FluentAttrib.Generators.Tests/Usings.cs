global using System.Collections.Immutable;
global using FluentAttrib.Generators.Tests.Infrastructure;
global using Microsoft.CodeAnalysis;
global using Microsoft.CodeAnalysis.CSharp;
global using Xunit;
