namespace FluentAttrib;

/// <summary>Which output tokens an attention-aware method reads relevance for.</summary>
public enum AttentionReadout
{
    /// <summary>The first token ([CLS]): what a classifier reading the first token sees. The default.</summary>
    FirstToken,

    /// <summary>The mean over every real (unpadded) token: what a mean-pooled sentence embedding sees.</summary>
    MeanOfTokens,
}

/// <summary>How the heads of an attention layer are fused into one map.</summary>
public enum AttentionHeadFusion
{
    /// <summary>The mean over heads (Abnar and Zuidema). The default.</summary>
    Mean,

    /// <summary>The maximum over heads.</summary>
    Max,

    /// <summary>The minimum over heads.</summary>
    Min,
}
