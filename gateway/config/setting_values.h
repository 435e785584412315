#pragma once
// Resolving one setting written as text: apply its default when the key is absent (writing it into
// the normalised policy), parse it once with the same parser as a written value, and report at
// its key path when it does not parse or is out of range. The typed value is what stages get.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/problem_sink.h"

namespace gw::config {

// A duration; when it does not parse: "'<text>' is not a duration <expected>".
std::optional<std::chrono::milliseconds> resolveDuration(std::string* text,
                                                         std::string_view fallback,
                                                         const std::string& path,
                                                         std::string_view expected,
                                                         ProblemSink& check);

// A duration within [min, max]; otherwise "'<text>' is not a duration from <min> to <max> (e.g.
// <fallback>)".
std::optional<std::chrono::milliseconds> resolveBoundedDuration(
    std::string* text, std::string_view fallback, std::string_view min, std::string_view max,
    const std::string& path, ProblemSink& check);

// A size in bytes ("4096", "512KiB", "1GB").
std::optional<uint64_t> resolveSize(std::string* text, std::string_view fallback,
                                    const std::string& path, ProblemSink& check);

std::chrono::milliseconds secondsToMillis(double seconds);

}  // namespace gw::config
