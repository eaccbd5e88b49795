using System;
using System.Text;

namespace FluentAttrib.Generators.Emit
{
    /// <summary>A small indentation-aware text writer for generated C# (four spaces, <c>\n</c> line ends).</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _builder = new();
        private int _indent;

        public void WriteLine(string line)
        {
            if (line.Length > 0) _builder.Append(' ', 4 * _indent).Append(line);
            _builder.Append('\n');
        }

        public void WriteLine() => _builder.Append('\n');

        /// <summary>Writes <paramref name="header"/>, an opening brace, and indents.</summary>
        public void OpenBlock(string header)
        {
            WriteLine(header);
            WriteLine("{");
            _indent++;
        }

        /// <summary>Unindents and writes a closing brace.</summary>
        public void CloseBlock()
        {
            if (_indent == 0) throw new InvalidOperationException("No block is open.");
            _indent--;
            WriteLine("}");
        }

        public override string ToString() => _indent == 0 ? _builder.ToString() : throw new InvalidOperationException("A block is still open.");
    }
}
