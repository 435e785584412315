#!/usr/bin/env bash
# Checks that gateway/ keeps its layering: every #include "gateway/<folder>/..." in a .h, .hpp or
# .cc under gateway/ must name the including file's own top-level folder, the generated protobuf
# headers (gateway/v1/), or a folder the table below allows. Needs no build.
#   deploy/check-layers.sh [REPO_ROOT]     (default: the repository this script is in)
# Exit 0 and a one-line summary when clean; 1 and one line per violation otherwise; 2 on misuse.
set -euo pipefail

# The layer table. It mirrors the dependency rule of docs/ARCHITECTURE.md and
# docs/decisions/0001: dependencies go one way (ctl -> app -> config -> stages -> pipeline ->
# core), and stages meet only through pipeline/ types, so no stage includes a sibling stage,
# config/ or app/.
# Each top-level folder lists the folders it may include besides itself (and gateway/v1/).
# A folder missing from the table is an error, so a new folder has to be placed here first.
stages="sources detectors router privacy retention crypto outbox publisher ops"
declare -A may_include=(
  [core]=""
  [pipeline]="core"
  # The vision models (pose, faces, person boxes), shared by the detectors and the privacy stage.
  [vision]="core"
  [sources]="core pipeline"
  [detectors]="core pipeline vision"
  [router]="core pipeline"
  [privacy]="core pipeline vision"
  [retention]="core pipeline"
  [crypto]="core pipeline"
  [outbox]="core pipeline"
  [publisher]="core pipeline"
  [ops]="core pipeline"
  # The actor's receiving library reuses the envelope format.
  [actor]="core pipeline crypto"
  # lantaarn-actor, the actor's receiving service: the actor library, the outbox as its spool and
  # the config loader's YAML mapping.
  [actor_service]="core pipeline crypto actor outbox config"
  # config sits above the stages: it runs their policy checks and builds their typed options.
  [config]="core pipeline vision $stages"
  # The fleet: signed policy bundles (operator keys: crypto; the policy: config), and the site's
  # agent, which judges health as the ops endpoint does and logs in to the broker as the
  # publisher does.
  [fleet]="core pipeline crypto config ops publisher"
  # app wires the daemon; everything but the operator tool.
  [app]="core pipeline vision config $stages actor fleet"
  # gatewayctl: its replay runs the daemon's wiring (app/) in a dry run.
  [ctl]="core pipeline vision config $stages actor app fleet"
)

if [ $# -gt 1 ]; then echo "usage: $0 [REPO_ROOT]" >&2; exit 2; fi
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
[ -d "$root/gateway" ] || { echo "check-layers: no gateway/ under $root" >&2; exit 2; }
cd "$root"

# The files on disk, not git's index, so new (untracked) files and copies without .git count too.
mapfile -t files < <(find gateway -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.cc' \) | sort)

violations=0
includes=0
declare -A unknown=()

# Every source file's folder must be in the table, even one without gateway/ includes.
for f in "${files[@]}"; do
  rest=${f#gateway/}
  folder=${rest%%/*}
  if [ "$folder" = "$rest" ]; then   # a file directly in gateway/ has no layer
    echo "$f: no folder, move it into one of the layer table's folders" >&2
    violations=$((violations + 1))
  elif [ -z "${may_include[$folder]+set}" ] && [ -z "${unknown[$folder]+set}" ]; then
    unknown[$folder]=1
    echo "$f: unknown folder gateway/$folder/, add it to the layer table in deploy/check-layers.sh" >&2
    violations=$((violations + 1))
  fi
done

include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]gateway/([^/">]+)/'
if [ ${#files[@]} -gt 0 ]; then
  # file:line:text of every gateway/ include; grep exits 1 when there is none, which is fine.
  mapfile -t hits < <(grep -nE "$include_re" "${files[@]}" /dev/null || true)
else
  hits=()
fi
for hit in "${hits[@]}"; do
  f=${hit%%:*}
  rest=${hit#*:}
  line=${rest%%:*}
  text=${rest#*:}
  includes=$((includes + 1))
  [[ $text =~ $include_re ]] || continue
  target=${BASH_REMATCH[1]}
  rel=${f#gateway/}
  folder=${rel%%/*}
  # Own folder and generated protobuf headers are always fine; files outside the table's folders
  # were reported above.
  if [ "$target" = "$folder" ] || [ "$target" = v1 ] || [ -z "${may_include[$folder]+set}" ]; then
    continue
  fi
  allowed=${may_include[$folder]}
  if [[ " $allowed " != *" $target "* ]]; then
    echo "$f:$line: $folder may not include gateway/$target/... (allowed: ${allowed:-nothing else})" >&2
    violations=$((violations + 1))
  fi
done

if [ "$violations" -gt 0 ]; then
  echo "layers: $violations violation(s) in ${#files[@]} files, $includes includes" >&2
  exit 1
fi
echo "layers: ${#files[@]} files, $includes includes, no violations"
