#!/usr/bin/env bash
# Lantaarn demo: builds the gateway, starts a private Mosquitto on a free loopback port, generates
# demo keys for six actors, runs gatewayd with policies/demo.yaml on bundled real data (air
# quality, rain, a camera with a recorded fall), and shows live what each actor decrypts.
#
#   deploy/demo.sh                  run until Ctrl-C
#   deploy/demo.sh --duration 20    stop by itself after 20 seconds, with a summary
set -euo pipefail

duration=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=${2:?--duration needs a number of seconds}; shift 2 ;;
    --duration=*) duration=${1#*=}; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$duration" in ''|*[!0-9]*) echo "demo.sh: --duration must be whole seconds" >&2; exit 2 ;; esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/deploy/install-deps.sh"
echo "== Building (release preset) =="
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target gatewayd gatewayctl
bin="$root/build/release/bin"

work=$(mktemp -d /tmp/lantaarn-demo.XXXXXX)
actors=(municipality public ambulance rijkswaterstaat fire police)
pids=()
broker_pid=""
cleanup() {
  trap - INT TERM EXIT
  # Gateway first, so it flushes what it accepted while the broker and subscribers still run.
  [ -n "${gatewayd_pid:-}" ] && kill -TERM "$gatewayd_pid" 2>/dev/null && wait "$gatewayd_pid" 2>/dev/null || true
  sleep 0.5
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pkill -f "tail -q -n \+1 -F $work/" 2>/dev/null || true
  [ -n "$broker_pid" ] && kill -TERM "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
  echo
  echo "== Summary: decrypted messages per actor =="
  for actor in "${actors[@]}"; do
    n=$(grep -c . "$work/$actor.out" 2>/dev/null || true)
    rejected=$(grep -c '^{"rejected"' "$work/$actor.err" 2>/dev/null || true)
    verified=$(grep -c '"report":"checkpoint_verified"' "$work/$actor.err" 2>/dev/null || true)
    note=""
    [ "$actor" = police ] && note="  (no route in the demo policy: default deny)"
    printf '  %-15s %6s messages, %s rejected, %s signed checkpoints verified%s\n' \
      "$actor" "${n:-0}" "${rejected:-0}" "${verified:-0}" "$note"
  done
  echo "  logs and keys: $work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
max_queued_messages 0
set_tcp_nodelay true
CONF
[ "$(id -u)" -eq 0 ] && echo "user root" >> "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
broker_pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
broker="tcp://127.0.0.1:$port"
echo "== Mosquitto on $broker =="

mkdir -p "$work/keys"
"$bin/gatewayctl" keygen --gateway demo-aberdeen --out "$work/keys" >/dev/null
for actor in "${actors[@]}"; do "$bin/gatewayctl" keygen --actor "$actor" --out "$work/keys" >/dev/null; done
echo "== Demo keys (demo only, never for production) in $work/keys =="

for actor in "${actors[@]}"; do
  "$bin/gatewayctl" subscribe --broker "$broker" --site demo-aberdeen --actor "$actor" \
    --key "$work/keys/$actor.key" --gateway-key "$work/keys/gateway.pub" \
    > "$work/$actor.out" 2> "$work/$actor.err" &
  pids+=($!)
done
for actor in "${actors[@]}"; do
  for _ in $(seq 1 200); do grep -q subscribed "$work/$actor.err" 2>/dev/null && break; sleep 0.05; done
done

echo "== gatewayd --policy policies/demo.yaml (Ctrl-C to stop) =="
LANTAARN_KEYS="$work/keys" "$bin/gatewayd" --policy "$root/policies/demo.yaml" --broker "$broker" --state-dir "$work/state" \
  --log-level warn 2> "$work/gatewayd.log" &
gatewayd_pid=$!

# Each actor's decrypted messages, live, as its subscriber prints them.
outputs=()
for actor in "${actors[@]}"; do outputs+=("$work/$actor.out"); done
# Lines are cut at 300 characters: a fall event carries its anonymised snapshot as base64.
tail -q -n +1 -F "${outputs[@]}" 2>/dev/null |
  sed -u -e 's/^\([a-z]*\) *\([a-z]*\) */[\1 \2] /' -e 's/^\(.\{300\}\).*/\1 .../' &

if [ "$duration" -gt 0 ]; then
  sleep "$duration"
else
  wait "$gatewayd_pid" || true
fi
