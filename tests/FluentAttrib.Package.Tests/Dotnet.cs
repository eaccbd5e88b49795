using System.Diagnostics;
using System.Text;

namespace FluentAttrib.Package.Tests;

/// <summary>Runs the <c>dotnet</c> CLI as a child process and captures what it prints.</summary>
internal static class Dotnet
{
    /// <summary>The result of one command: exit code and the interleaved output.</summary>
    public sealed record Result(int ExitCode, string Output, string CommandLine)
    {
        /// <summary>Throws with the whole output unless the command succeeded.</summary>
        public Result EnsureSuccess()
        {
            if (ExitCode != 0)
                throw new InvalidOperationException($"`{CommandLine}` exited with {ExitCode}:\n{Output}");
            return this;
        }
    }

    /// <summary>Runs <c>dotnet args...</c> in <paramref name="workingDirectory"/>, killed after <paramref name="timeout"/>.</summary>
    public static Result Run(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // The test host runs under `dotnet test`, whose MSBuild variables would steer the child builds.
        foreach (var name in info.Environment.Keys.ToArray())
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)) info.Environment.Remove(name);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // No MSBuild node or compiler server is left running after the test.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";

        string commandLine = "dotnet " + string.Join(' ', args);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (output) throw new TimeoutException($"`{commandLine}` did not finish in {timeout}:\n{output}");
        }
        process.WaitForExit();   // drains the output events
        lock (output) return new Result(process.ExitCode, output.ToString(), commandLine);
    }
}
