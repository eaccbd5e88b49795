global using Xunit;

// Many tests seed torch's global random generator and then draw models or inputs from it; run test classes one at a
// time so no other test consumes that generator in between (torch already uses every core inside each test).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
