#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the whole test suite; exits non-zero on any failure.
#   deploy/test.sh            dev preset (Debug, warnings as errors)
#   CI=true deploy/test.sh    ThreadSanitizer on the concurrent parts, then everything under
#                             ASan+UBSan (the asan preset), as CI does
# LANTAARN_TEST_PRESET=<preset> forces one preset and skips the TSan pass.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/deploy/install-deps.sh"

jobs=$(nproc)
# Each section says when it starts, so a slow CI run shows where its time went.
section() { echo "== $* == (at ${SECONDS} s)"; }
preset=${LANTAARN_TEST_PRESET:-}
if [ -z "$preset" ]; then
  if [ -n "${CI:-}" ]; then preset=asan; else preset=dev; fi
fi

if [ -n "${CI:-}" ] && [ -z "${LANTAARN_TEST_PRESET:-}" ]; then
  # The concurrent parts (Paho callbacks posting into the pipeline executor, the replay source's
  # timers, the outbox/publisher hand-off and reconnects, the ops endpoint's thread, the camera
  # decode threads and the frame workers' masks and anonymiser, the actor subscriber's watch thread
  # against Paho's, lantaarn-actor's delivery thread, sink workers and health endpoint) under
  # ThreadSanitizer (its two-minute outage case only in the main suite). Runs
  # first so the main suite's ctest summary is the last thing printed.
  section "ThreadSanitizer: concurrent stages"
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j "$jobs" --target publisher_integration_test sources_test outbox_test e2e_test listeners_test camera_test \
    ops_e2e_test publisher_connection_test video_decoder_test privacy_e2e_test \
    actor_subscriber_tls_test actor_session_e2e_test actor_service_e2e_test publisher_refusal_test \
    actor_subscriber_burst_test fleet_e2e_test
  section "ThreadSanitizer: ctest"
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp" \
    ctest --preset tsan -j "$jobs" --timeout 300 \
    -R "PublisherBrokerTest|FileReplaySourceTest|LatestFrameSlotTest|MemoryOutboxTest|GatewayE2eTest|ListenerTest|CameraSourceTest|OpsE2eTest|PublisherTlsTest|PublisherPasswordTest|PublisherMqttVersionTest|VideoDecoderTest|PrivacyE2eTest|ActorSubscriberTlsTest|ActorSessionE2eTest|ActorServiceE2eTest|PublisherRefusalTest|ActorSubscriberBurstTest|ActorSubscriberFallbackTest|FleetE2eTest" \
    -E "ActorServiceE2eTest.Slow"
fi

section "Test suite: preset $preset"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$jobs"
# Layering and clang-format over gateway/ now (seconds); clang-tidy (~20 CPU-minutes) in the
# background at the lowest priority while the tests run, which leave much of the CPU idle waiting
# on brokers and sockets (decision 1320). Its findings are printed after the tests.
section "Lint: layering, clang-format; clang-tidy in the background"
LANTAARN_LINT_BUILD="build/$preset" "$root/deploy/lint.sh" --no-tidy
tidy_log="build/$preset/clang-tidy.log"
LANTAARN_LINT_BUILD="build/$preset" nice -n 19 "$root/deploy/lint.sh" --tidy-only >"$tidy_log" 2>&1 &
tidy_pid=$!
section "ctest: preset $preset"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:suppressions=$root/tests/asan.supp"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest_rc=0
ctest --preset "$preset" -j "$jobs" --timeout 300 || ctest_rc=$?
tidy_rc=0
wait "$tidy_pid" || tidy_rc=$?
section "clang-tidy finished"
cat "$tidy_log"
if [ "$tidy_rc" -ne 0 ]; then echo "clang-tidy: findings above (exit $tidy_rc)" >&2; fi
[ "$ctest_rc" -eq 0 ] && [ "$tidy_rc" -eq 0 ]
