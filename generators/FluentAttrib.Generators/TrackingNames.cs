namespace FluentAttrib.Generators
{
    /// <summary>Names of the tracked pipeline steps (the caching tests look them up).</summary>
    internal static class TrackingNames
    {
        /// <summary>Types marked <c>[Explainable]</c>, turned into models (null when nothing can be generated).</summary>
        public const string Extract = nameof(Extract);

        /// <summary>The models that produce a file.</summary>
        public const string Specs = nameof(Specs);
    }
}
