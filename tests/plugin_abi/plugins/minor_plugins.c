/* The same plugin as built against API minor 1 and against minor 2 (PLUGIN_MINOR at compile
 * time), in C so the sizes it declares are under the test's control. For every reading it emits
 * one event and fills the minor-2 fields (unit, location) in both builds: a minor-1 plugin's
 * struct_size says they are not there, so the host must not read them. The minor-2 build puts
 * the reading's sensor_ref into the summary, read only when the host's struct_size covers it. */
#include <stddef.h>
#include <string.h>

#include "gw_detector_api.h"

static gw_status create(const gw_param* p, size_t n, gw_detector** out, char* e, size_t l) {
  (void)p; (void)n; (void)e; (void)l;
  *out = (gw_detector*)1;
  return GW_OK;
}

static gw_status on_reading(gw_detector* s, const gw_reading_view* r, gw_emit_fn emit, void* c) {
  (void)s;
  gw_event_out event;
  memset(&event, 0, sizeof event);
#if PLUGIN_MINOR == 1
  event.struct_size = offsetof(gw_event_out, unit); /* the minor-1 struct ends after roi_h */
  event.summary = "minor 1";
#else
  event.struct_size = sizeof event;
  event.summary = GW_HAS_FIELD(gw_reading_view, r, sensor_ref) && r->sensor_ref ? r->sensor_ref
                                                                                : "(none)";
#endif
  event.kind = "seen";
  event.severity = GW_SEVERITY_INFO;
  event.source_id = r->source_id;
  event.value = r->value;
  event.observed_unix_ms = r->observed_unix_ms;
  event.unit = "ug/m3";
  event.has_location = 1;
  event.lat = 52.5;
  event.lon = 5.25;
  emit(c, &event);
  return GW_OK;
}

static void destroy(gw_detector* s) { (void)s; }

const gw_detector_api* gw_detector_plugin_init_v1(uint16_t major, uint16_t minor,
                                                  const gw_host_api* host) {
  (void)minor; (void)host;
  static gw_detector_api api;
  if (major != GW_DETECTOR_ABI_MAJOR) return 0;
  memset(&api, 0, sizeof api);
  api.struct_size = sizeof api;
  api.abi_major = GW_DETECTOR_ABI_MAJOR;
  api.api_minor = PLUGIN_MINOR;
  api.name = "minor";
  api.version = "1.0.0";
  api.create = create;
  api.on_reading = on_reading;
  api.destroy = destroy;
  return &api;
}
