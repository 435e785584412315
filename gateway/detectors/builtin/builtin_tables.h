#pragma once
// The function tables of the detectors linked into gatewayd. Each is the same gw_detector_api a
// plugin's gw_detector_plugin_init_v1 returns; the host (host/plugin_detector.h) runs built-ins
// and plugins alike, so the ABI path is the one that is tested. Every built-in is one of these;
// none implements the host's Detector interface itself.
#include "gateway/detectors/api/gw_detector_api.h"

extern "C" {
// Named like the C ABI they belong to (gw_detector_plugin_init_v1, docs/PLUGINS.md), not by the
// C++ naming rules: C symbols of the stable detector ABI.
// NOLINTBEGIN(readability-identifier-naming)
const gw_detector_api* gw_builtin_threshold_init(uint16_t host_abi_major, uint16_t host_api_minor,
                                                 const gw_host_api* host);
const gw_detector_api* gw_builtin_air_quality_init(uint16_t host_abi_major, uint16_t host_api_minor,
                                                   const gw_host_api* host);
const gw_detector_api* gw_builtin_water_nuisance_init(uint16_t host_abi_major,
                                                      uint16_t host_api_minor,
                                                      const gw_host_api* host);
const gw_detector_api* gw_builtin_fall_init(uint16_t host_abi_major, uint16_t host_api_minor,
                                            const gw_host_api* host);
// NOLINTEND(readability-identifier-naming)
}
