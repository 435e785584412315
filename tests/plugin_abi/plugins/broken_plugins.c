/* Plugins that are wrong in one way each, selected at compile time with BROKEN_KIND:
 *   1 wrong ABI major, 2 short struct, 3 NULL table, 4 no init symbol, 5 missing calls. */
#include <string.h>

#include "gw_detector_api.h"

#if BROKEN_KIND == 4
int some_other_symbol(void) { return 42; }
#else
static gw_status create(const gw_param* p, size_t n, gw_detector** out, char* e, size_t l) {
  (void)p; (void)n; (void)e; (void)l;
  *out = (gw_detector*)1;
  return GW_OK;
}
static gw_status on_reading(gw_detector* s, const gw_reading_view* r, gw_emit_fn f, void* c) {
  (void)s; (void)r; (void)f; (void)c;
  return GW_OK;
}
static void destroy(gw_detector* s) { (void)s; }

const gw_detector_api* gw_detector_plugin_init_v1(uint16_t major, uint16_t minor, const gw_host_api* host) {
  (void)major; (void)minor; (void)host;
  static gw_detector_api api;
  memset(&api, 0, sizeof api);
  api.struct_size = sizeof api;
  api.abi_major = GW_DETECTOR_ABI_MAJOR;
  api.name = "broken";
  api.create = create;
  api.on_reading = on_reading;
  api.destroy = destroy;
#if BROKEN_KIND == 1
  api.abi_major = 99;
#elif BROKEN_KIND == 2
  api.struct_size = 8;
#elif BROKEN_KIND == 3
  return 0;
#elif BROKEN_KIND == 5
  api.create = 0;
#endif
  return &api;
}
#endif
