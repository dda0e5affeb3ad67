#!/usr/bin/env bash
# Regenerates the public API files of every library under src/ (docs/architecture.md, "Public API"):
# PublicAPI.Shipped.txt (created empty when missing) and PublicAPI.Unshipped.txt (rebuilt from the code:
# until 1.0 every public symbol is unshipped). Run it after changing public API or adding a project under
# src/, review the diff of the .txt files, and commit them with the change. Usage: bash tools/public-api.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

header='#nullable enable'
for project in src/*/*.csproj; do
  dir=$(dirname "$project")
  [ -f "$dir/PublicAPI.Shipped.txt" ] || printf '%s\n' "$header" > "$dir/PublicAPI.Shipped.txt"
  # Rebuilt from scratch, so that removed or renamed symbols leave it too.
  printf '%s\n' "$header" > "$dir/PublicAPI.Unshipped.txt"
done

for project in src/*/*.csproj; do
  echo "public-api: $project"
  # RS0016 (a public symbol not declared) is fixed by the analyzer's code fix, which appends the symbol to
  # PublicAPI.Unshipped.txt; generated sources (Generated/*.Generated.cs) are public API too.
  dotnet format analyzers "$project" --diagnostics RS0016 --severity info --include-generated
done

# The files must now satisfy the analyzers (warnings are errors): a build proves it.
for project in src/*/*.csproj; do
  dotnet build "$project" -c Release -warnaserror --nologo -v quiet
done
echo "public-api: done; review and commit src/*/PublicAPI.*.txt"
