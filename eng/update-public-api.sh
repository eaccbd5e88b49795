#!/usr/bin/env bash
# update-public-api.sh — regenerate PublicAPI.Unshipped.txt of every shipped project from the compiler.
#
# Shipped projects (IsPackable=true: src/FluentAttrib, src/FluentAttrib.Plotting, src/FluentAttrib.Onnx) declare their public surface in
# PublicAPI.Shipped.txt (what a released version had) and PublicAPI.Unshipped.txt (what changed since). The public
# API analyzer (Microsoft.CodeAnalysis.PublicApiAnalyzers, added by Directory.Build.targets) reports
#   RS0016  a public symbol that neither file lists, and
#   RS0017  a listed symbol that no longer exists (or is no longer public);
# with CI=true both are errors, so any change to the public surface needs these files updated in the same commit.
#
# What this script does, for each shipped project:
#   1. empties PublicAPI.Unshipped.txt (keeps its '#nullable enable' header; PublicAPI.Shipped.txt is never edited),
#   2. rebuilds (no incremental build, warnings not errors) and reads the RS0016 / RS0017 diagnostics,
#   3. writes PublicAPI.Unshipped.txt: the header, then, sorted (ordinal) and without duplicates, every RS0016
#      symbol, and '*REMOVED*<symbol>' for every RS0017 symbol (a shipped symbol that is gone),
#   4. rebuilds and fails unless no RS0016 / RS0017 remains.
# The diagnostics' messages carry the symbol exactly as the files spell it, e.g.
#   warning RS0016: Symbol 'static FluentAttrib.Fluent.Explain(...) -> ...' is not part of the declared public API
# so nothing is reformatted. If the build fails (a compile error), no file is changed.
#
# Usage (from anywhere; about a minute on 2 cores):
#   eng/update-public-api.sh           regenerate the Unshipped files, then verify
#   eng/update-public-api.sh --check   only verify (exit 1 and list the symbols if the files are out of date)
# Then review `git diff -- '*PublicAPI*.txt'` and commit the files with the API change.
#
# At a release: move the lines of each Unshipped file into its Shipped file (dropping the symbols marked
# *REMOVED* from both), leave '#nullable enable' alone in Unshipped, and set PackageValidationBaselineVersion.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The shipped projects. Plotting and Onnx reference FluentAttrib, so building those two rebuilds all three.
projects=(src/FluentAttrib/FluentAttrib.csproj src/FluentAttrib.Plotting/FluentAttrib.Plotting.csproj src/FluentAttrib.Onnx/FluentAttrib.Onnx.csproj)
entries=(src/FluentAttrib.Plotting/FluentAttrib.Plotting.csproj src/FluentAttrib.Onnx/FluentAttrib.Onnx.csproj)
header='#nullable enable'

mode=update
case "${1:-}" in
    "") ;;
    --check) mode=check ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Builds the entry projects from scratch and writes "<project path><TAB><rule><TAB><symbol>" lines to $1.
collect() {
    local out="$1" log="$work/build.log" entry
    : >"$log"
    for entry in "${entries[@]}"; do
        if ! dotnet build "$entry" --no-incremental -nologo -v q -clp:NoSummary \
                -p:TreatWarningsAsErrors=false -p:CI=false >>"$log" 2>&1; then
            cat "$log" >&2
            echo "update-public-api: the build failed; no file was changed" >&2
            return 1
        fi
    done
    # file(line,col): warning RS0016: Symbol '<symbol>' is not part of the declared public API (<url>) [<project>]
    sed -n \
        -e "s/^.*: \(warning\|error\) RS0016: Symbol '\(.*\)' is not part of the declared public API.*\[\([^]]*\)\]\$/\3\tRS0016\t\2/p" \
        -e "s/^.*: \(warning\|error\) RS0017: Symbol '\(.*\)' is part of the declared API, but is either not public or could not be found.*\[\([^]]*\)\]\$/\3\tRS0017\t\2/p" \
        "$log" | LC_ALL=C sort -u >"$out"
    # Other public-API diagnostics (e.g. RS0037 missing '#nullable enable', RS0050 a removed symbol that exists)
    # need a person: show them.
    if grep -E ": (warning|error) RS00(2[2-9]|3[0-9]|4[0-9]|5[0-9]|6[0-9])[: ]" "$log" | grep -v -E "RS002[67]" | LC_ALL=C sort -u | grep .; then
        echo "update-public-api: fix the diagnostics above by hand" >&2
        return 1
    fi
}

if [ "$mode" = check ]; then
    collect "$work/diags"
    if [ -s "$work/diags" ]; then
        cut -f1 --complement "$work/diags" | sed 's/\t/  /'
        echo "update-public-api: $(wc -l <"$work/diags") undeclared or stale public symbols; run eng/update-public-api.sh" >&2
        exit 1
    fi
    echo "update-public-api: the PublicAPI files match the code"
    exit 0
fi

# 1. Empty the Unshipped files (saved first, restored if anything fails).
for p in "${projects[@]}"; do
    dir="$(dirname "$p")"
    [ -f "$dir/PublicAPI.Shipped.txt" ] || printf '%s\n' "$header" >"$dir/PublicAPI.Shipped.txt"
    mkdir -p "$work/saved/$dir"
    [ -f "$dir/PublicAPI.Unshipped.txt" ] && cp "$dir/PublicAPI.Unshipped.txt" "$work/saved/$dir/"
    printf '%s\n' "$header" >"$dir/PublicAPI.Unshipped.txt"
done
restore() {
    for p in "${projects[@]}"; do
        dir="$(dirname "$p")"
        [ -f "$work/saved/$dir/PublicAPI.Unshipped.txt" ] && cp "$work/saved/$dir/PublicAPI.Unshipped.txt" "$dir/"
    done
}

# 2. Build and read the diagnostics.
if ! collect "$work/diags"; then restore; exit 1; fi

# 3. Write each project's Unshipped file.
for p in "${projects[@]}"; do
    dir="$(dirname "$p")"
    full="$root/$p"
    {
        printf '%s\n' "$header"
        awk -F'\t' -v proj="$full" '$1 == proj { print ($2 == "RS0017" ? "*REMOVED*" : "") $3 }' "$work/diags" \
            | LC_ALL=C sort -u
    } >"$dir/PublicAPI.Unshipped.txt"
    echo "update-public-api: $dir/PublicAPI.Unshipped.txt: $(($(wc -l <"$dir/PublicAPI.Unshipped.txt") - 1)) symbols"
done
unrouted="$(awk -F'\t' -v a="$root/${projects[0]}" -v b="$root/${projects[1]}" -v c="$root/${projects[2]}" '$1 != a && $1 != b && $1 != c' "$work/diags")"
if [ -n "$unrouted" ]; then
    echo "$unrouted" >&2
    echo "update-public-api: diagnostics for a project not in this script's list (add it to 'projects')" >&2
    restore
    exit 1
fi

# 4. Verify.
collect "$work/after"
if [ -s "$work/after" ]; then
    cat "$work/after" >&2
    echo "update-public-api: diagnostics remain after the update" >&2
    exit 1
fi
echo "update-public-api: done; review with: git diff -- '*PublicAPI*.txt'"
