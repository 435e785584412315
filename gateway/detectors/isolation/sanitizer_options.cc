// The sanitizers' defaults for the child (its environment is empty, so these are all it gets).
// A plugin's crash must end the child by its own signal, as in a release build, for gatewayd to
// report it as such: the sanitizers leave SEGV, BUS, FPE and ABRT alone. No leak check (the child
// ends with _exit, and LSan would fork, which the filter traps) and no symbolizer (a fork and an
// exec): an error report shows module+offset, to be symbolized offline.

// These are the sanitizer runtimes' hook names.
extern "C" {

#if defined(__SANITIZE_ADDRESS__)
__attribute__((used, visibility("default"))) const char* __asan_default_options() {  // NOLINT
  return "handle_segv=0:handle_abort=0:handle_sigbus=0:handle_sigfpe=0:detect_leaks=0:"
         "allow_user_segv_handler=1:symbolize=0";
}
#endif

#if defined(__SANITIZE_THREAD__)
__attribute__((used, visibility("default"))) const char* __tsan_default_options() {  // NOLINT
  return "handle_segv=0:handle_abort=0:handle_sigbus=0:handle_sigfpe=0:"
         "allow_user_segv_handler=1:symbolize=0";
}
#endif

// UBSan has no macro to test for; the hook is harmless without it.
__attribute__((used, visibility("default"))) const char* __ubsan_default_options() {  // NOLINT
  return "symbolize=0:print_stacktrace=1";
}

}  // extern "C"
