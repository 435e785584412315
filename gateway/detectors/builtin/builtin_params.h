#pragma once
// Reading the ABI's key/value parameters in the built-in detectors. The factory (factory.cc)
// writes every field of a built-in's typed policy message as a parameter named after the field,
// so these see proto3 zero values for fields the policy leaves out, like the typed message did.
// A malformed value throws std::invalid_argument naming the detector and the parameter; the SDK
// turns it into a start-up error.
#include <cstdint>
#include <initializer_list>
#include <string>

#include "gateway/detectors/sdk/lantaarn_detector.hpp"

namespace gw::detectors::builtin {

class ParamReader {
 public:
  // Throws if `params` holds a key outside `known`: a typo must not silently become a default.
  ParamReader(const char* detector, const lantaarn::Params& params,
              std::initializer_list<const char*> known);

  // Absent or empty: `fallback`.
  double number(const std::string& key, double fallback) const;
  uint32_t count(const std::string& key, uint32_t fallback) const;
  bool flag(const std::string& key, bool fallback) const;
  std::string text(const std::string& key, const std::string& fallback) const;
  // A severity written as in the policy (info, advisory, warning, alarm); "unspecified" and
  // absent give `fallback`.
  int32_t severity(const std::string& key, int32_t fallback) const;

 private:
  const std::string* find(const std::string& key) const;
  [[noreturn]] void refuse(const std::string& key, const std::string& value,
                           const char* expected) const;

  const char* detector_;
  const lantaarn::Params& params_;
};

}  // namespace gw::detectors::builtin
