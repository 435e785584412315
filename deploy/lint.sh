#!/usr/bin/env bash
# Runs the house linters: clang-format (check only) and clang-tidy (.clang-tidy, pinned to v14)
# over the given files, or over every gateway/ source. Needs a configured build (compile database):
#   cmake --preset dev && deploy/lint.sh [FILE...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${LANTAARN_LINT_BUILD:-build/dev}
[ -f "$build/compile_commands.json" ] || { echo "lint: configure first (cmake --preset dev)" >&2; exit 2; }
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(git ls-files 'gateway/*.cc'); fi
clang-format --dry-run -Werror "${files[@]}"
# Generated protobuf headers must exist before clang-tidy parses sources that include them.
cmake --build "$build" --target gw_proto >/dev/null
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet
echo "lint: ${#files[@]} files clean"
