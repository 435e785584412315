#include "gateway/detectors/builtin/builtin_params.h"

#include <stdexcept>

namespace gw::detectors::builtin {

ParamReader::ParamReader(const char* detector, const lantaarn::Params& params,
                         std::initializer_list<const char*> known)
    : detector_(detector), params_(params) {
  for (const auto& [key, value] : params_) {
    bool found = false;
    for (const char* k : known) found = found || key == k;
    if (!found) {
      throw std::invalid_argument(std::string(detector_) + " detector: unknown parameter '" + key +
                                  "'");
    }
  }
}

const std::string* ParamReader::find(const std::string& key) const {
  auto it = params_.find(key);
  return it == params_.end() || it->second.empty() ? nullptr : &it->second;
}

void ParamReader::refuse(const std::string& key, const std::string& value,
                         const char* expected) const {
  throw std::invalid_argument(std::string(detector_) + " detector: " + key + " must be " +
                              expected + ", not '" + value + "'");
}

double ParamReader::number(const std::string& key, double fallback) const {
  const std::string* value = find(key);
  if (value == nullptr) return fallback;
  size_t used = 0;
  double parsed = 0;
  try {
    parsed = std::stod(*value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value->size()) refuse(key, *value, "a number");
  return parsed;
}

uint32_t ParamReader::count(const std::string& key, uint32_t fallback) const {
  const std::string* value = find(key);
  if (value == nullptr) return fallback;
  size_t used = 0;
  unsigned long parsed = 0;
  try {
    parsed = std::stoul(*value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value->size() || value->front() == '-' || parsed > UINT32_MAX) {
    refuse(key, *value, "a whole number >= 0");
  }
  return static_cast<uint32_t>(parsed);
}

bool ParamReader::flag(const std::string& key, bool fallback) const {
  const std::string* value = find(key);
  if (value == nullptr) return fallback;
  if (*value == "true") return true;
  if (*value == "false") return false;
  refuse(key, *value, "true or false");
}

std::string ParamReader::text(const std::string& key, const std::string& fallback) const {
  const std::string* value = find(key);
  return value == nullptr ? fallback : *value;
}

int32_t ParamReader::severity(const std::string& key, int32_t fallback) const {
  const std::string* value = find(key);
  if (value == nullptr || *value == "unspecified") return fallback;
  if (*value == "info") return GW_SEVERITY_INFO;
  if (*value == "advisory") return GW_SEVERITY_ADVISORY;
  if (*value == "warning") return GW_SEVERITY_WARNING;
  if (*value == "alarm") return GW_SEVERITY_ALARM;
  refuse(key, *value, "info, advisory, warning or alarm");
}

}  // namespace gw::detectors::builtin
