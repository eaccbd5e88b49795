namespace FluentAttrib.Plotting;

/// <summary>Writes files atomically: to a temporary file in the target folder, then moved over the target.</summary>
internal static class FileOutput
{
    /// <summary>Fails early, before rendering, when the path cannot be a file.</summary>
    public static string CheckTarget(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new PlotWriteException(path, "the path is not valid (" + e.Message + ").", e);
        }
        if (Directory.Exists(full)) throw new PlotWriteException(path, "it is a folder, not a file.", null);
        string? folder = Path.GetDirectoryName(full);
        if (folder is null) throw new PlotWriteException(path, "it has no folder.", null);
        if (!Directory.Exists(folder))
            throw new PlotWriteException(path, File.Exists(folder)
                ? $"'{folder}' is a file, not a folder."
                : $"the folder '{folder}' does not exist.", null);
        return full;
    }

    public static void Write(string path, byte[] bytes)
    {
        string full = CheckTarget(path);
        string folder = Path.GetDirectoryName(full)!;
        string temp = Path.Combine(folder, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new PlotWriteException(path, e.Message, e);
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more can be done; the original error is reported.
        }
    }
}
