/* Lantaarn detector plugin ABI, version 1.
 *
 * A detector built out of tree is a shared library exporting one C function,
 * gw_detector_plugin_init_v1. The host passes the ABI version it speaks and its callbacks; the
 * plugin returns its function table, or NULL if it cannot work with that host.
 *
 * Rules (docs/PLUGINS.md):
 *  - Every struct starts with `struct_size`; the host checks it before reading further, so
 *    fields are only ever appended (new calls go at the end, announced by api_minor).
 *  - Everything the host passes in (readings, frames, params) is lent for the duration of the
 *    call only. Everything the plugin emits is copied by the host inside `emit`.
 *  - Neither side frees the other's memory.
 *  - No C++ exception may cross this boundary: the C++ SDK (lantaarn_detector.hpp) catches them.
 *  - Calls for one detector instance never overlap (one pipeline thread), so instances need no
 *    locking. A call must return within the detector's time budget: after one that does not,
 *    the host skips frames for a while, and repeated ones disable the detector until a
 *    cool-down has passed (docs/PLUGINS.md, "Time").
 */
#ifndef GW_DETECTOR_API_H
#define GW_DETECTOR_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GW_DETECTOR_ABI_MAJOR 1 /* incompatible changes */
/* Compatible additions: 1 gw_frame_view.stream_position_ms; 2 gw_reading_view.sensor_ref and
 * quality_flags, gw_event_out.unit and location. */
#define GW_DETECTOR_API_MINOR 2
#define GW_DETECTOR_PLUGIN_INIT_SYMBOL "gw_detector_plugin_init_v1"

/* A stable C ABI, named in C style (snake_case, gw_ prefix) on purpose and shared with plugins
 * written in C (docs/PLUGINS.md): renaming breaks every built plugin, so the C++ naming rules of
 * .clang-tidy do not apply to these declarations. */
/* NOLINTBEGIN(readability-identifier-naming) */
typedef enum gw_status {
  GW_OK = 0,
  GW_ERROR_INVALID_ARGUMENT = 1, /* bad parameters or input: the host counts it */
  GW_ERROR_INTERNAL = 2,         /* the plugin failed (the SDK maps exceptions to this) */
} gw_status;

typedef enum gw_severity {
  GW_SEVERITY_INFO = 1,
  GW_SEVERITY_ADVISORY = 2,
  GW_SEVERITY_WARNING = 3,
  GW_SEVERITY_ALARM = 4,
} gw_severity;

typedef enum gw_pixel_format { GW_PIXEL_BGR8 = 1, GW_PIXEL_GRAY8 = 2 } gw_pixel_format;

typedef struct gw_param {
  const char* key;
  const char* value;
} gw_param;

typedef struct gw_reading_view {
  uint32_t struct_size;
  const char* source_id;
  const char* quantity; /* canonical: pm10, water_level, ... */
  const char* unit;     /* canonical: ug/m3, cm, ... */
  double value;
  int64_t observed_unix_ms;
  double lat, lon;
  /* API minor 2. Read them only when struct_size covers them (GW_HAS_FIELD). */
  const char* sensor_ref; /* the sensor's own id in its network; "" when the source has none */
  uint32_t quality_flags; /* bit set: 1 suspect, 2 converted from another unit */
} gw_reading_view;

typedef struct gw_frame_view {
  uint32_t struct_size;
  const uint8_t* data; /* rows of `stride` bytes; lent for the call */
  int32_t width, height, stride;
  int32_t pixel_format; /* gw_pixel_format */
  int64_t captured_unix_ms;
  const char* source_id;
  /* API minor 1. Position in the stream (files) or since the stream connected (live), in ms:
   * the time base for anything measured in seconds, since a file replayed faster than real
   * time has wall-clock times that are closer together than the frames'. Read it only when
   * struct_size covers it. */
  int64_t stream_position_ms;
} gw_frame_view;

typedef struct gw_event_out {
  uint32_t struct_size;
  const char* kind; /* what was detected, e.g. fall */
  int32_t severity; /* gw_severity */
  const char* source_id;
  const char* quantity; /* may be NULL */
  double value;
  double threshold;
  double confidence; /* 0..1 */
  int64_t observed_unix_ms;
  const char* summary;                /* one sentence, no personal data */
  int32_t roi_x, roi_y, roi_w, roi_h; /* region in the frame, for the snapshot stage; 0 = none */
  /* API minor 2. A host of minor 1 does not read them (the plugin's struct_size tells a newer
   * host whether they are there). */
  const char* unit;     /* of value and threshold, e.g. ug/m3; may be NULL */
  int32_t has_location; /* nonzero: lat/lon are where the event happened (WGS84) */
  double lat, lon;
} gw_event_out;

/* True when a struct of `struct_size` bytes (the other side's version) contains `field`. */
#define GW_HAS_FIELD(type, ptr, field) \
  ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

typedef void (*gw_emit_fn)(void* emit_ctx, const gw_event_out* event);
typedef void (*gw_log_fn)(void* host_ctx, int32_t level /* 0 debug .. 3 error */,
                          const char* message);

typedef struct gw_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t api_minor;
  gw_log_fn log;
  void* host_ctx;
} gw_host_api;

typedef struct gw_detector gw_detector; /* the plugin's own instance type, opaque to the host */

typedef struct gw_detector_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t api_minor;
  const char* name;
  const char* version;
  /* Creates an instance. On failure writes a NUL-terminated reason into `error` (error_len bytes).
   */
  gw_status (*create)(const gw_param* params, size_t param_count, gw_detector** out, char* error,
                      size_t error_len);
  /* Either may be NULL when the detector does not take that input. */
  gw_status (*on_reading)(gw_detector* self, const gw_reading_view* reading, gw_emit_fn emit,
                          void* emit_ctx);
  gw_status (*on_frame)(gw_detector* self, const gw_frame_view* frame, gw_emit_fn emit,
                        void* emit_ctx);
  void (*destroy)(gw_detector* self);
} gw_detector_api;

typedef const gw_detector_api* (*gw_detector_plugin_init_fn)(uint16_t host_abi_major,
                                                             uint16_t host_api_minor,
                                                             const gw_host_api* host);

/* The one symbol a plugin exports. */
const gw_detector_api* gw_detector_plugin_init_v1(uint16_t host_abi_major, uint16_t host_api_minor,
                                                  const gw_host_api* host);
/* NOLINTEND(readability-identifier-naming) */

#ifdef __cplusplus
}
#endif

#endif /* GW_DETECTOR_API_H */
