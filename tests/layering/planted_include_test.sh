#!/usr/bin/env bash
# Proves deploy/check-layers.sh can fail: on a copy of gateway/ it must pass, and after planting
# forbidden includes (and a folder missing from the layer table) it must exit non-zero and name
# each planted file and line. Needs no build.
#   planted_include_test.sh CHECK_LAYERS_SH SOURCE_DIR
set -euo pipefail
check=$1
src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The check reads only C++ sources under gateway/, so only those are copied.
(cd "$src" && find gateway -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.cc' \) \
  -exec cp --parents -t "$work" {} +)

# Baseline: the unmodified copy is clean, so the failure below comes from the planted lines.
if ! out=$(bash "$check" "$work" 2>&1); then
  echo "FAIL: the unmodified copy does not pass:"; echo "$out"; exit 1
fi

# Appends an include to the first source file of a folder; prints file:line of the new line.
# Files are picked, not named, so renames in gateway/ do not break this test.
plant() {
  local folder=$1 include=$2 file
  file=$(cd "$work" && find "gateway/$folder" -type f \( -name '*.h' -o -name '*.cc' \) | sort | head -n1)
  [ -n "$file" ] || { echo "FAIL: no source file under gateway/$folder/" >&2; exit 1; }
  # A file without a final newline would glue the include onto its last line.
  [ -z "$(tail -c1 "$work/$file")" ] || echo >> "$work/$file"
  echo "#include \"$include\"" >> "$work/$file"
  echo "$file:$(wc -l < "$work/$file")"
}
privacy_at=$(plant privacy gateway/crypto/key_file.h)
router_at=$(plant router gateway/app/gateway.h)
mkdir -p "$work/gateway/newstage"
echo '#pragma once' > "$work/gateway/newstage/thing.h"

rc=0
out=$(bash "$check" "$work" 2>&1) || rc=$?
echo "$out"
fail=0
[ "$rc" -ne 0 ] || { echo "FAIL: check-layers exited 0 with planted violations"; fail=1; }
for want in "$privacy_at: privacy may not include gateway/crypto/" \
            "$router_at: router may not include gateway/app/" \
            "gateway/newstage/thing.h: unknown folder gateway/newstage/"; do
  grep -qF "$want" <<<"$out" || { echo "FAIL: output does not name '$want'"; fail=1; }
done
# Exactly the three planted problems and the summary: nothing else is flagged.
[ "$(wc -l <<<"$out")" -eq 4 ] || { echo "FAIL: expected 3 violations and a summary"; fail=1; }
[ "$fail" -eq 0 ] && echo "PASS: planted violations caught (exit $rc)"
exit "$fail"
