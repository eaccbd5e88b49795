global using Xunit;

// The parity tests run a 64 MB network through two runtimes; one class at a time keeps the 2 cores for it.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
