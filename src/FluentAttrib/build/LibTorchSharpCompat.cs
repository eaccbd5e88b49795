#nullable enable
// Compiled by MSBuild's RoslynCodeTaskFactory from FluentAttrib.targets (the task below) and linked into the
// test project (the patcher). Keep it free of anything but the BCL and Microsoft.Build.Utilities.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace FluentAttrib.Build
{
    /// <summary>Outcome of <see cref="GlibcxxVersionPatcher.Patch"/> for one file.</summary>
    public enum PatchOutcome
    {
        /// <summary>The file asked for the version as a hard requirement; the requirement is now weak.</summary>
        Patched,
        /// <summary>The requirement was already weak (the file was patched before).</summary>
        AlreadyWeak,
        /// <summary>The file does not ask for the version at all; nothing was written.</summary>
        NotRequired,
    }

    /// <summary>
    /// Marks one GLIBCXX version requirement of an ELF64 little-endian shared object as weak
    /// (<c>VER_FLG_WEAK</c> in the <c>vna_flags</c> of its <c>.gnu.version_r</c> entry), so that the dynamic
    /// loader accepts a libstdc++ that lacks the version. TorchSharp 0.107.0's <c>libLibTorchSharp.so</c> asks for
    /// <c>GLIBCXX_3.4.32</c> (GCC 13) only for the marker symbol <c>_ZSt21ios_base_library_initv</c>, which no
    /// relocation uses, so the library runs on older libstdc++ once the requirement is weak.
    /// </summary>
    public static class GlibcxxVersionPatcher
    {
        /// <summary>The version requirement TorchSharp 0.107.0 adds by being built with GCC 13.</summary>
        public const string DefaultVersion = "GLIBCXX_3.4.32";

        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlgWeak = 0x2;

        /// <summary>Finds the offsets of <c>vna_flags</c> of every requirement named <paramref name="version"/>.</summary>
        public static List<(long FlagsOffset, ushort Flags)> FindRequirements(byte[] elf, string version)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("only 64-bit little-endian ELF files are supported");

            long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
            int shentsize = BitConverter.ToUInt16(elf, 0x3A);
            int shnum = BitConverter.ToUInt16(elf, 0x3C);
            if (shoff <= 0 || shentsize < 64 || shoff + (long)shentsize * shnum > elf.Length)
                throw new InvalidDataException("section header table is out of the file");

            var found = new List<(long, ushort)>();
            for (int i = 0; i < shnum; i++)
            {
                long sh = shoff + (long)i * shentsize;
                if (BitConverter.ToUInt32(elf, (int)sh + 4) != ShtGnuVerneed) continue;
                long offset = (long)BitConverter.ToUInt64(elf, (int)sh + 24);
                long size = (long)BitConverter.ToUInt64(elf, (int)sh + 32);
                int link = (int)BitConverter.ToUInt32(elf, (int)sh + 40);
                int count = (int)BitConverter.ToUInt32(elf, (int)sh + 44);
                long strSh = shoff + (long)link * shentsize;
                if (link >= shnum) throw new InvalidDataException("verneed string table index out of range");
                long strOffset = (long)BitConverter.ToUInt64(elf, (int)strSh + 24);
                long strSize = (long)BitConverter.ToUInt64(elf, (int)strSh + 32);
                if (offset < 0 || size < 0 || strOffset < 0 || strSize < 0 ||
                    offset + size > elf.Length || strOffset + strSize > elf.Length)
                    throw new InvalidDataException("version sections are out of the file");

                long end = offset + size;
                long need = offset;
                for (int n = 0; n < count; n++)
                {
                    if (need < offset || need + 16 > end) throw new InvalidDataException("a version requirement lies outside its section");
                    int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                    long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        if (aux < offset || aux + 16 > end) throw new InvalidDataException("a version requirement lies outside its section");
                        ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                        long name = strOffset + BitConverter.ToUInt32(elf, (int)aux + 8);
                        if (ReadString(elf, name, strOffset + strSize) == version) found.Add((aux + 4, flags));
                        uint nextAux = BitConverter.ToUInt32(elf, (int)aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = BitConverter.ToUInt32(elf, (int)need + 12);
                    if (next == 0) break;
                    need += next;
                }
            }
            return found;
        }

        /// <summary>
        /// Makes the requirement for <paramref name="version"/> weak in the file at <paramref name="path"/>.
        /// Idempotent; writes nothing unless a hard requirement is found. The write goes to a temporary file
        /// that is then renamed over the original, so a failure never leaves a half-written library.
        /// </summary>
        public static PatchOutcome Patch(string path, string version = DefaultVersion)
        {
            byte[] elf = File.ReadAllBytes(path);
            var requirements = FindRequirements(elf, version);
            if (requirements.Count == 0) return PatchOutcome.NotRequired;
            bool changed = false;
            foreach (var (offset, flags) in requirements)
            {
                if ((flags & VerFlgWeak) != 0) continue;
                byte[] value = BitConverter.GetBytes((ushort)(flags | VerFlgWeak));
                elf[offset] = value[0];
                elf[offset + 1] = value[1];
                changed = true;
            }
            if (!changed) return PatchOutcome.AlreadyWeak;
            string temp = path + ".fluentattrib.tmp";
            try
            {
                File.WriteAllBytes(temp, elf);
                // A rename: a process that has the old file mapped keeps it, and no reader sees half a file.
                File.Replace(temp, path, null);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            return PatchOutcome.Patched;
        }

        /// <summary>
        /// True when the system's libstdc++ (found in the usual library folders) defines <paramref name="version"/>,
        /// or when no libstdc++ is found at all (then nothing is known to be wrong).
        /// </summary>
        public static bool SystemProvides(string version = DefaultVersion, IEnumerable<string>? candidates = null)
        {
            candidates ??= new[]
            {
                "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
                "/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/aarch64-linux-gnu/libstdc++.so.6",
                "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib64/libstdc++.so.6",
            };
            byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
            foreach (string candidate in candidates)
            {
                if (!File.Exists(candidate)) continue;
                return IndexOf(File.ReadAllBytes(candidate), needle) >= 0;
            }
            return true;
        }

        private static string ReadString(byte[] data, long start, long limit)
        {
            if (start >= limit) throw new InvalidDataException("a version name lies outside its string table");
            long end = start;
            while (end < limit && data[end] != 0) end++;
            return Encoding.ASCII.GetString(data, (int)start, (int)(end - start));
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            int last = haystack.Length - needle.Length;
            for (int i = 0; i <= last; i++)
            {
                if (haystack[i] != needle[0]) continue;
                int j = 1;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return i;
            }
            return -1;
        }
    }

#if !FLUENTATTRIB_NO_MSBUILD_TASK
    /// <summary>MSBuild task: weakens the GLIBCXX requirement of every given libLibTorchSharp.so when needed.</summary>
    public sealed class PatchLibTorchSharpGlibcxx : Microsoft.Build.Utilities.Task
    {
        /// <summary>The copies of libLibTorchSharp.so in the output folder.</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <inheritdoc />
        public override bool Execute()
        {
            if (Files.Length == 0 || GlibcxxVersionPatcher.SystemProvides()) return true;
            foreach (var item in Files)
            {
                try
                {
                    var outcome = GlibcxxVersionPatcher.Patch(item.ItemSpec);
                    if (outcome == PatchOutcome.Patched)
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                            "FluentAttrib: made {0} loadable with this system's libstdc++ (weak {1}).",
                            item.ItemSpec, GlibcxxVersionPatcher.DefaultVersion);
                }
                catch (Exception e)
                {
                    Log.LogWarning("FluentAttrib: could not patch {0}: {1}", item.ItemSpec, e.Message);
                }
            }
            return true;
        }
    }
#endif
}
