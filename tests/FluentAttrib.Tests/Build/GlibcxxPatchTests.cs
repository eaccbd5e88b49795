using FluentAttrib.Build;
using Microsoft.Build.Utilities;

namespace FluentAttrib.Tests.Build;

/// <summary>
/// The patch that build/FluentAttrib.targets applies to libLibTorchSharp.so in output folders, tested on copies of
/// the real library from the package cache (the cache itself is never written).
/// </summary>
public sealed class GlibcxxPatchTests : IDisposable
{
    private const ushort VerFlgWeak = 0x2;
    private static readonly DateTime LongAgo = new(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void The_shipped_library_asks_for_the_version_as_a_hard_requirement()
    {
        var requirements = GlibcxxVersionPatcher.FindRequirements(File.ReadAllBytes(NativeFiles.OriginalLibTorchSharp()), GlibcxxVersionPatcher.DefaultVersion);

        Assert.NotEmpty(requirements);
        Assert.All(requirements, r => Assert.Equal(0, r.Flags & VerFlgWeak));
    }

    [Fact]
    public void Patch_makes_the_requirement_weak_and_changes_no_other_byte()
    {
        string path = temp.Copy(NativeFiles.OriginalLibTorchSharp());
        byte[] before = File.ReadAllBytes(path);

        Assert.Equal(PatchOutcome.Patched, GlibcxxVersionPatcher.Patch(path));

        byte[] after = File.ReadAllBytes(path);
        var requirements = GlibcxxVersionPatcher.FindRequirements(after, GlibcxxVersionPatcher.DefaultVersion);
        Assert.NotEmpty(requirements);
        Assert.All(requirements, r => Assert.Equal(VerFlgWeak, r.Flags & VerFlgWeak));
        Assert.Equal(before.Length, after.Length);
        var flagBytes = requirements.SelectMany(r => new[] { r.FlagsOffset, r.FlagsOffset + 1 }).ToHashSet();
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).Select(i => (long)i).ToList();
        Assert.NotEmpty(changed);
        Assert.All(changed, i => Assert.Contains(i, flagBytes));
        Assert.Equal([System.IO.Path.GetFileName(path)], Directory.GetFiles(temp.Path).Select(System.IO.Path.GetFileName));
    }

    [Fact]
    public void Patching_again_reports_already_weak_and_writes_nothing()
    {
        string path = temp.Copy(NativeFiles.OriginalLibTorchSharp());
        Assert.Equal(PatchOutcome.Patched, GlibcxxVersionPatcher.Patch(path));
        byte[] once = File.ReadAllBytes(path);
        File.SetLastWriteTimeUtc(path, LongAgo);

        Assert.Equal(PatchOutcome.AlreadyWeak, GlibcxxVersionPatcher.Patch(path));

        Assert.Equal(once, File.ReadAllBytes(path));
        Assert.Equal(LongAgo, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public void A_library_that_does_not_ask_for_the_version_is_left_alone()
    {
        string path = temp.Copy(NativeFiles.LibC10());
        byte[] before = File.ReadAllBytes(path);
        File.SetLastWriteTimeUtc(path, LongAgo);
        // The parser does walk this file's requirements: it finds an older version that libc10 does ask for.
        Assert.NotEmpty(GlibcxxVersionPatcher.FindRequirements(before, "GLIBCXX_3.4.9"));

        Assert.Equal(PatchOutcome.NotRequired, GlibcxxVersionPatcher.Patch(path));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(LongAgo, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public void A_file_that_is_not_elf_throws_and_is_left_unchanged()
    {
        byte[] text = "#!/bin/sh\necho not a library\n"u8.ToArray();
        string path = temp.Write("libLibTorchSharp.so", text);

        Assert.Throws<InvalidDataException>(() => GlibcxxVersionPatcher.Patch(path));

        Assert.Equal(text, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void A_truncated_library_throws_and_is_left_unchanged()
    {
        byte[] original = File.ReadAllBytes(NativeFiles.OriginalLibTorchSharp());
        byte[] half = original[..(original.Length / 2)];
        string path = temp.Write("libLibTorchSharp.so", half);

        Assert.Throws<InvalidDataException>(() => GlibcxxVersionPatcher.Patch(path));

        Assert.Equal(half, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void A_version_entry_pointing_out_of_its_string_table_throws_invalid_data()
    {
        byte[] elf = File.ReadAllBytes(NativeFiles.OriginalLibTorchSharp());
        long flags = GlibcxxVersionPatcher.FindRequirements(elf, GlibcxxVersionPatcher.DefaultVersion)[0].FlagsOffset;
        // vna_name sits 4 bytes after vna_flags; point it far past the string table.
        BitConverter.GetBytes(0x7FFF0000u).CopyTo(elf, flags + 4);

        Assert.Throws<InvalidDataException>(() => GlibcxxVersionPatcher.FindRequirements(elf, GlibcxxVersionPatcher.DefaultVersion));
    }

    [Fact]
    public void SystemProvides_reads_the_first_libstdcxx_that_exists()
    {
        string has = temp.Write("has.so", "\0GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0GLIBCXX_DEBUG_MESSAGE_LENGTH\0"u8.ToArray());
        string lacks = temp.Write("lacks.so", "\0GLIBCXX_3.4.30\0GLIBCXX_3.4.321\0"u8.ToArray());
        string missing = System.IO.Path.Combine(temp.Path, "missing.so");

        Assert.True(GlibcxxVersionPatcher.SystemProvides(candidates: [missing, has]));
        Assert.False(GlibcxxVersionPatcher.SystemProvides(candidates: [missing, lacks]));
        Assert.False(GlibcxxVersionPatcher.SystemProvides(candidates: [lacks, has]));
        Assert.True(GlibcxxVersionPatcher.SystemProvides("GLIBCXX_3.4.30", [lacks]));
        // Nothing to read: nothing is known to be wrong.
        Assert.True(GlibcxxVersionPatcher.SystemProvides(candidates: [missing]));
    }

    [SkippableFact]
    public void The_copy_in_this_output_folder_asks_for_the_version_weakly_only()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the build patches only on Linux");
        Skip.If(GlibcxxVersionPatcher.SystemProvides(), "this system's libstdc++ has the version, so the build leaves the library as shipped");
        string? library = TorchRuntime.FindNativeLibrary(AppContext.BaseDirectory);
        Assert.NotNull(library);

        var requirements = GlibcxxVersionPatcher.FindRequirements(File.ReadAllBytes(library), GlibcxxVersionPatcher.DefaultVersion);

        Assert.NotEmpty(requirements);
        Assert.All(requirements, r => Assert.Equal(VerFlgWeak, r.Flags & VerFlgWeak));
    }

    [Fact]
    public void The_build_task_patches_its_files_exactly_when_the_system_lacks_the_version()
    {
        string path = temp.Copy(NativeFiles.OriginalLibTorchSharp());
        byte[] before = File.ReadAllBytes(path);
        var engine = new RecordingBuildEngine();
        var task = new PatchLibTorchSharpGlibcxx { BuildEngine = engine, Files = [new TaskItem(path)] };

        Assert.True(task.Execute());

        Assert.Empty(engine.Warnings);
        Assert.Empty(engine.Errors);
        var requirements = GlibcxxVersionPatcher.FindRequirements(File.ReadAllBytes(path), GlibcxxVersionPatcher.DefaultVersion);
        if (GlibcxxVersionPatcher.SystemProvides())
        {
            Assert.Equal(before, File.ReadAllBytes(path));
        }
        else
        {
            Assert.All(requirements, r => Assert.Equal(VerFlgWeak, r.Flags & VerFlgWeak));
            Assert.Contains(engine.Messages, m => m.Contains(path, StringComparison.Ordinal));
        }
    }

    [SkippableFact]
    public void The_build_task_warns_about_a_bad_file_but_does_not_fail_the_build()
    {
        Skip.If(GlibcxxVersionPatcher.SystemProvides(), "the task does nothing where libstdc++ has the version");
        string bad = temp.Write("libLibTorchSharp.so", "not a library"u8.ToArray());
        var engine = new RecordingBuildEngine();
        var task = new PatchLibTorchSharpGlibcxx { BuildEngine = engine, Files = [new TaskItem(bad)] };

        Assert.True(task.Execute());

        Assert.Contains(engine.Warnings, w => w.Contains("could not patch", StringComparison.Ordinal) && w.Contains(bad, StringComparison.Ordinal));
        Assert.Empty(engine.Errors);
    }
}
