/* Plugins that misbehave in one way each, for the tests of the confined child host
 * (lantaarn-detector-host, tests/unit/detectors/detector_host_test.cc). The kind is chosen at
 * compile time: -DMISBEHAVE=<kind>, built as libgw_misbehave_<kind>_plugin.so.
 *
 * Each is a reading and frame detector that behaves until its misdeed: every call emits one
 * event of kind "seen" (value: the reading's value, or the frame's width), except call number
 * `after` (param, default 1: the first call), which does the misdeed instead and then returns
 * normally, if it still runs. A misdeed that got through the sandbox emits kind "escaped".
 *
 *   segfault     writes through a NULL pointer
 *   abort        abort()
 *   loop         never returns
 *   alloc        allocates and touches 16 MiB blocks until malloc fails, then abort()
 *   forkbomb     fork() in a loop (bounded at 64, each child exits at once)
 *   write_etc    open(2)s /etc/lantaarn-plugin-was-here for writing
 *   write_state  open(2)s param `path` for writing (a file in the gateway's state dir)
 *   fopen_etc    fopen()s /etc/lantaarn-plugin-was-here for writing
 *   connect      a TCP connect to 127.0.0.1, param `port`
 *   read_key     fopen(param `path`) for reading; "escaped" carries the first bytes read
 *   signal       kill(getppid(), 0): only probes whether it could signal the parent
 *   garbage      writes 64 bytes of 0xff to fd 3 (the host's socket) and returns
 *   flood        emits 10000 events in one call
 *   exec         execve("/bin/true")
 *   report       emits kind "report", its summary the Cap*, NoNewPrivs and Seccomp lines of
 *                /proc/self/status
 *   thread       emits kind "thread" from a thread it starts and joins (threads must work)
 *   log          logs 200 lines through the host's log callback, on every call from `after` on
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw_detector_api.h"

#define GW_STR2(x) #x
#define GW_STR(x) GW_STR2(x)
static const char* const kKind = GW_STR(MISBEHAVE);

static const gw_host_api* host_api;

typedef struct state {
  int after;
  int calls;
  int port;
  char path[1024];
  char summary[1024];
} state;

static int is(const char* kind) { return strcmp(kKind, kind) == 0; }

static void emit_event(gw_emit_fn emit, void* ctx, const char* kind, double value,
                       const char* summary) {
  gw_event_out event;
  memset(&event, 0, sizeof event);
  event.struct_size = sizeof event;
  event.kind = kind;
  event.severity = GW_SEVERITY_INFO;
  event.source_id = "misbehave";
  event.value = value;
  event.summary = summary;
  emit(ctx, &event);
}

static gw_status create(const gw_param* params, size_t count, gw_detector** out, char* error,
                        size_t error_len) {
  state* s = calloc(1, sizeof *s);
  if (s == NULL) {
    snprintf(error, error_len, "out of memory");
    return GW_ERROR_INTERNAL;
  }
  s->after = 1;
  for (size_t i = 0; i < count; ++i) {
    if (strcmp(params[i].key, "after") == 0) s->after = atoi(params[i].value);
    if (strcmp(params[i].key, "port") == 0) s->port = atoi(params[i].value);
    if (strcmp(params[i].key, "path") == 0)
      snprintf(s->path, sizeof s->path, "%s", params[i].value);
  }
  *out = (gw_detector*)s;
  return GW_OK;
}

static void write_file(state* s, const char* path, gw_emit_fn emit, void* ctx) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  const char text[] = "a plugin was here\n";
  if (write(fd, text, sizeof text - 1) > 0) {
    snprintf(s->summary, sizeof s->summary, "wrote %s", path);
    emit_event(emit, ctx, "escaped", 0, s->summary);
  }
  close(fd);
}

static void* thread_main(void* arg) {
  double* value = arg;
  *value *= 2;
  return NULL;
}

static void report(state* s, gw_emit_fn emit, void* ctx) {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == NULL) return;
  char line[256];
  s->summary[0] = '\0';
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs", 10) == 0 ||
        strncmp(line, "Seccomp:", 8) == 0) {
      strncat(s->summary, line, sizeof s->summary - strlen(s->summary) - 1);
    }
  }
  fclose(f);
  emit_event(emit, ctx, "report", 0, s->summary);
}

static void misdeed(state* s, gw_emit_fn emit, void* ctx, double value) {
  if (is("segfault")) {
    volatile int* volatile nowhere = NULL;
    *nowhere = 1;
  } else if (is("abort")) {
    abort();
  } else if (is("loop")) {
    volatile unsigned long spin = 0;
    for (;;) ++spin;
  } else if (is("alloc")) {
    for (;;) {
      char* block = malloc(16u << 20);
      if (block == NULL) abort();
      memset(block, 1, 16u << 20);
    }
  } else if (is("forkbomb")) {
    for (int i = 0; i < 64; ++i) {
      if (fork() == 0) _exit(0);
    }
  } else if (is("write_etc")) {
    write_file(s, "/etc/lantaarn-plugin-was-here", emit, ctx);
  } else if (is("write_state")) {
    write_file(s, s->path, emit, ctx);
  } else if (is("fopen_etc")) {
    FILE* f = fopen("/etc/lantaarn-plugin-was-here", "w");
    if (f == NULL) return;
    fputs("a plugin was here\n", f);
    fclose(f);
    emit_event(emit, ctx, "escaped", 0, "wrote /etc/lantaarn-plugin-was-here");
  } else if (is("connect")) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)s->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr*)&addr, sizeof addr) == 0) {
      emit_event(emit, ctx, "escaped", 0, "connected");
    }
    close(fd);
  } else if (is("read_key")) {
    FILE* f = fopen(s->path, "r");
    if (f == NULL) return;
    size_t n = fread(s->summary, 1, 32, f);
    s->summary[n] = '\0';
    fclose(f);
    if (n > 0) emit_event(emit, ctx, "escaped", 0, s->summary);
  } else if (is("signal")) {
    if (kill(getppid(), 0) == 0) emit_event(emit, ctx, "escaped", 0, "could signal the parent");
  } else if (is("garbage")) {
    unsigned char bytes[64];
    memset(bytes, 0xff, sizeof bytes);
    if (write(3, bytes, sizeof bytes) != (ssize_t)sizeof bytes) return;
  } else if (is("flood")) {
    for (int i = 0; i < 10000; ++i) emit_event(emit, ctx, "flood", i, "one of many");
  } else if (is("exec")) {
    char* argv[] = {"/bin/true", NULL};
    char* envp[] = {NULL};
    execve("/bin/true", argv, envp);
  } else if (is("report")) {
    report(s, emit, ctx);
  } else if (is("thread")) {
    pthread_t thread;
    double result = value;
    if (pthread_create(&thread, NULL, thread_main, &result) != 0) return;
    pthread_join(thread, NULL);
    emit_event(emit, ctx, "thread", result, "from a thread");
  } else if (is("log")) {
    for (int i = 0; i < 200; ++i) host_api->log(host_api->host_ctx, 1, "a chatty plugin");
  }
}

static void call(state* s, gw_emit_fn emit, void* ctx, double value) {
  ++s->calls;
  if (s->calls == s->after || (is("log") && s->calls > s->after)) {
    misdeed(s, emit, ctx, value);
    return;
  }
  emit_event(emit, ctx, "seen", value, "behaving");
}

static gw_status on_reading(gw_detector* self, const gw_reading_view* r, gw_emit_fn emit,
                            void* ctx) {
  call((state*)self, emit, ctx, r->value);
  return GW_OK;
}

static gw_status on_frame(gw_detector* self, const gw_frame_view* f, gw_emit_fn emit, void* ctx) {
  call((state*)self, emit, ctx, f->width);
  return GW_OK;
}

static void destroy(gw_detector* self) { free(self); }

const gw_detector_api* gw_detector_plugin_init_v1(uint16_t major, uint16_t minor,
                                                  const gw_host_api* host) {
  (void)minor;
  static gw_detector_api api;
  if (major != GW_DETECTOR_ABI_MAJOR) return NULL;
  host_api = host;
  memset(&api, 0, sizeof api);
  api.struct_size = sizeof api;
  api.abi_major = GW_DETECTOR_ABI_MAJOR;
  api.api_minor = GW_DETECTOR_API_MINOR;
  api.name = "misbehave-" GW_STR(MISBEHAVE);
  api.version = "1.0.0";
  api.create = create;
  api.on_reading = on_reading;
  api.on_frame = on_frame;
  api.destroy = destroy;
  return &api;
}
