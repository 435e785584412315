#pragma once
#include <filesystem>
#include <string>

#include "gateway/core/status.h"

namespace gw {

// Reads a whole file; NotFound / Unavailable name the path and the OS error.
Result<std::string> readFile(const std::filesystem::path& path);

// Writes a file atomically (temp file + rename) with the given permission bits.
Status writeFileAtomic(const std::filesystem::path& path, const std::string& data,
                       std::filesystem::perms perms);

}  // namespace gw
