namespace FluentAttrib.Core.Attention;

/// <summary>
/// Maximum flow on a small directed graph with real capacities (Dinic's algorithm: breadth-first levels, then
/// blocking flows along depth-first augmenting paths). Used by attention flow, whose graphs have a few hundred nodes.
/// </summary>
internal sealed class MaxFlow
{
    private readonly List<int>[] _adjacent;
    private readonly List<(int To, double Capacity)> _edges = [];
    private readonly List<double> _flow = [];

    public MaxFlow(int nodes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 1);
        _adjacent = new List<int>[nodes];
        for (int i = 0; i < nodes; i++) _adjacent[i] = [];
    }

    public int NodeCount => _adjacent.Length;

    /// <summary>Adds the edge <paramref name="from"/> → <paramref name="to"/> (parallel edges add up).</summary>
    public void AddEdge(int from, int to, double capacity)
    {
        if (!(capacity >= 0) || double.IsInfinity(capacity))
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "Capacities are finite and non-negative.");
        if (capacity == 0 || from == to) return;
        _adjacent[from].Add(_edges.Count);
        _edges.Add((to, capacity));
        _flow.Add(0);
        _adjacent[to].Add(_edges.Count);
        _edges.Add((from, 0));
        _flow.Add(0);
    }

    /// <summary>The value of a maximum flow from <paramref name="source"/> to <paramref name="sink"/> (the graph is left unchanged).</summary>
    public double Compute(int source, int sink)
    {
        if (source == sink) throw new ArgumentException("Source and sink must differ.", nameof(sink));
        for (int e = 0; e < _flow.Count; e++) _flow[e] = 0;
        const double tiny = 1e-12;
        double total = 0;
        var level = new int[NodeCount];
        var next = new int[NodeCount];
        var queue = new Queue<int>();
        while (true)
        {
            Array.Fill(level, -1);
            level[source] = 0;
            queue.Enqueue(source);
            while (queue.Count > 0)
            {
                int u = queue.Dequeue();
                foreach (int e in _adjacent[u])
                {
                    var (v, c) = _edges[e];
                    if (level[v] < 0 && c - _flow[e] > tiny)
                    {
                        level[v] = level[u] + 1;
                        queue.Enqueue(v);
                    }
                }
            }
            if (level[sink] < 0) return total;
            Array.Fill(next, 0);
            double pushed;
            while ((pushed = Push(source, sink, double.PositiveInfinity, level, next, tiny)) > 0) total += pushed;
        }
    }

    private double Push(int u, int sink, double limit, int[] level, int[] next, double tiny)
    {
        if (u == sink) return limit;
        var adjacent = _adjacent[u];
        for (; next[u] < adjacent.Count; next[u]++)
        {
            int e = adjacent[next[u]];
            var (v, c) = _edges[e];
            double residual = c - _flow[e];
            if (level[v] != level[u] + 1 || residual <= tiny) continue;
            double pushed = Push(v, sink, Math.Min(limit, residual), level, next, tiny);
            if (pushed > 0)
            {
                _flow[e] += pushed;
                _flow[e ^ 1] -= pushed;
                return pushed;
            }
        }
        return 0;
    }
}
