#!/usr/bin/env bash
# Installs Lantaarn into a scratch prefix, builds the example plugin against the installed SDK with
# find_package(Lantaarn), and has the installed gatewayd run it from a policy file (in its own
# process, through the installed lantaarn-detector-host) on real data: the plugin must see every
# reading and emit an event for each PM10 value above 50.
set -euo pipefail
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'kill $gatewayd_pid 2>/dev/null || true; rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/tests/plugin_abi/out_of_tree" -B "$work/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" >/dev/null
plugin=$(find "$work/build" -name 'libexample_plugin.so' | head -1)
[ -n "$plugin" ] || { echo "plugin was not built"; exit 1; }

csv="$source_dir/tests/data/air/sensor_community/2019-02-13_sds011_sensor_5331.csv"
"$work/prefix/bin/gatewayctl" keygen --actor municipality --out "$work/keys" >/dev/null
cat > "$work/policy.yaml" <<POLICY
site: {id: plugin-test}
actors:
  - {id: municipality, public_key_file: $work/keys/municipality.pub, purposes: [testing]}
sources:
  - id: pm
    sensor: {format: sensor_community_csv, replay: {path: $csv, speed: 0}}
detectors:
  - id: example
    sources: [pm]
    plugin: {path: $plugin, params: {above: "50"}}
POLICY
# No route: the events are counted, not sent, so no broker is needed.
"$work/prefix/bin/gatewayd" --policy "$work/policy.yaml" --broker tcp://127.0.0.1:9 --drain-timeout 1 --state-dir "" \
  2> "$work/gatewayd.log" &
gatewayd_pid=$!
for _ in $(seq 1 200); do grep -q "Source replay finished" "$work/gatewayd.log" && break; sleep 0.05; done
kill -TERM $gatewayd_pid 2>/dev/null || true
wait $gatewayd_pid || true

expected=$(awk -F';' 'NR > 1 && $7 != "" && $7 + 0 > 50' "$csv" | wc -l)
got=$(sed -n 's/.*Counter events_total{detector="example",kind="value_above"} \([0-9]*\).*/\1/p' "$work/gatewayd.log")
# In its own confined process (the default for plugins), started by the installed child host
# that gatewayd finds in <prefix>/libexec/lantaarn.
grep -q "Plugin started in its own process detector=example plugin=example-value-above" \
  "$work/gatewayd.log" ||
  { echo "gatewayd did not start the plugin in its own process:"; cat "$work/gatewayd.log"; exit 1; }
if [ "$got" != "$expected" ]; then
  echo "expected $expected value_above events, got '${got}'"; cat "$work/gatewayd.log"; exit 1
fi
echo "out-of-tree plugin loaded by gatewayd: $got events for $expected PM10 values above 50"
