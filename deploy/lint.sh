#!/usr/bin/env bash
# Runs the house linters: the layering check (deploy/check-layers.sh), clang-format (check only)
# and clang-tidy (.clang-tidy, pinned to v14) over the given files, or over every gateway/ source.
# clang-tidy needs a configured build (compile database), LANTAARN_LINT_BUILD (default build/dev):
#   cmake --preset dev && deploy/lint.sh [FILE...]
# deploy/test.sh runs it in CI against the preset it has just built: --no-tidy first (seconds),
# then --tidy-only in the background while the tests run.
set -euo pipefail
mode=all
case "${1:-}" in
  --no-tidy) mode=no-tidy; shift ;;
  --tidy-only) mode=tidy-only; shift ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${LANTAARN_LINT_BUILD:-build/dev}
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(git ls-files 'gateway/*.cc'); fi
[ ${#files[@]} -gt 0 ] || { echo "lint: no files to check" >&2; exit 2; }
if [ "$mode" != tidy-only ]; then
  # First, as it is instant and needs no build: a layering error is cheaper to read than the
  # compile errors it may cause.
  "$root/deploy/check-layers.sh"
  clang-format --dry-run -Werror "${files[@]}"
  if [ "$mode" = no-tidy ]; then echo "lint: layering and format of ${#files[@]} files clean"; exit 0; fi
fi
[ -f "$build/compile_commands.json" ] || { echo "lint: configure first (cmake --preset dev)" >&2; exit 2; }
# Generated protobuf headers must exist before clang-tidy parses sources that include them.
cmake --build "$build" --target gw_proto >/dev/null
# One clang-tidy per 4 files on every core. clang's "N warnings generated." lines (warnings in
# system headers that the checks do not report) are dropped so the findings stand out; the
# pipeline's status is still xargs', so any finding fails the run.
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>&1 \
  | { grep -vE '^[0-9]+ warnings?( and [0-9]+ errors?)? generated\.$' || true; }
echo "lint: clang-tidy on ${#files[@]} files clean"
