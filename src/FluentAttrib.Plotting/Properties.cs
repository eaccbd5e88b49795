using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("FluentAttrib.Plotting.Tests")]
