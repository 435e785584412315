// The C++ SDK for Lantaarn detector plugins: write a class, get the C ABI. Header only.
//
//   class MyDetector : public lantaarn::Detector {
//    public:
//     explicit MyDetector(const lantaarn::Params& params) { ... }
//     void onReading(const gw_reading_view& r, lantaarn::Emitter& emit) override { ... }
//   };
//   LANTAARN_DETECTOR_PLUGIN(MyDetector, "my-detector", "1.0.0")
//
// Exceptions (std::exception, cv::Exception, anything) never leave the plugin: the SDK turns
// them into GW_ERROR_INTERNAL, and the host counts them.
#pragma once

#include <cstdio>
#include <exception>
#include <map>
#include <string>

#include "gw_detector_api.h"

namespace lantaarn {

using Params = std::map<std::string, std::string>;

class Emitter {
 public:
  Emitter(gw_emit_fn fn, void* ctx) : emit_(fn), ctx_(ctx) {}
  // Copies nothing: the host copies the event before returning.
  void emit(gw_event_out event) {
    event.struct_size = sizeof(gw_event_out);
    emit_(ctx_, &event);
  }

 private:
  gw_emit_fn emit_;
  void* ctx_;
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual void onReading(const gw_reading_view& reading, Emitter& emit) {}
  virtual void onFrame(const gw_frame_view& frame, Emitter& emit) {}
};

// The reading's sensor id in its network, or "" from a host older than API minor 2.
inline const char* sensorRef(const gw_reading_view& reading) {
  return GW_HAS_FIELD(gw_reading_view, &reading, sensor_ref) && reading.sensor_ref != nullptr
             ? reading.sensor_ref
             : "";
}

namespace detail {

template <typename T>
struct Adapter {
  static gw_status create(const gw_param* params, size_t count, gw_detector** out, char* error,
                          size_t len) {
    try {
      Params p;
      for (size_t i = 0; i < count; ++i) p[params[i].key] = params[i].value;
      *out = reinterpret_cast<gw_detector*>(static_cast<Detector*>(new T(p)));
      return GW_OK;
    } catch (const std::exception& e) {
      std::snprintf(error, len, "%s", e.what());
    } catch (...) {
      std::snprintf(error, len, "unknown exception");
    }
    return GW_ERROR_INVALID_ARGUMENT;
  }
  static gw_status onReading(gw_detector* self, const gw_reading_view* r, gw_emit_fn emit,
                             void* ctx) {
    try {
      Emitter e(emit, ctx);
      reinterpret_cast<Detector*>(self)->onReading(*r, e);
      return GW_OK;
    } catch (...) {
      return GW_ERROR_INTERNAL;
    }
  }
  static gw_status onFrame(gw_detector* self, const gw_frame_view* f, gw_emit_fn emit, void* ctx) {
    try {
      Emitter e(emit, ctx);
      reinterpret_cast<Detector*>(self)->onFrame(*f, e);
      return GW_OK;
    } catch (...) {
      return GW_ERROR_INTERNAL;
    }
  }
  static void destroy(gw_detector* self) { delete reinterpret_cast<Detector*>(self); }
};

}  // namespace detail
}  // namespace lantaarn

// A detector linked into gatewayd instead of loaded from a .so: the same table, returned by a
// function of the given name (declared in gateway/detectors/builtin/builtin_tables.h), so
// built-ins and plugins go through one host code path (OpenCV videoio's static backends).
#define LANTAARN_DETECTOR_STATIC(Class, NAME, VERSION, INIT_FUNCTION) \
  LANTAARN_DETECTOR_TABLE_(Class, NAME, VERSION, INIT_FUNCTION)

#define LANTAARN_DETECTOR_PLUGIN(Class, NAME, VERSION) \
  extern "C" __attribute__((visibility("default")))    \
  LANTAARN_DETECTOR_TABLE_(Class, NAME, VERSION, gw_detector_plugin_init_v1)

#define LANTAARN_DETECTOR_TABLE_(Class, NAME, VERSION, INIT_FUNCTION)                           \
  const gw_detector_api* INIT_FUNCTION(uint16_t host_abi_major, uint16_t, const gw_host_api*) { \
    static const gw_detector_api api = {sizeof(gw_detector_api),                                \
                                        GW_DETECTOR_ABI_MAJOR,                                  \
                                        GW_DETECTOR_API_MINOR,                                  \
                                        NAME,                                                   \
                                        VERSION,                                                \
                                        &lantaarn::detail::Adapter<Class>::create,              \
                                        &lantaarn::detail::Adapter<Class>::onReading,           \
                                        &lantaarn::detail::Adapter<Class>::onFrame,             \
                                        &lantaarn::detail::Adapter<Class>::destroy};            \
    return host_abi_major == GW_DETECTOR_ABI_MAJOR ? &api : nullptr;                            \
  }
