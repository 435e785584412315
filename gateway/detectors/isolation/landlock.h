#pragma once
// The child's view of the file system, by Landlock: it may read (and map as code) the system's
// libraries and the few files libraries read on their own, read the plugin and the paths the
// policy grants, and write only in its scratch directory. Everything else, the gateway's keys and
// state and /etc among it, is refused with EACCES.
#include <string>
#include <vector>

#include "gateway/core/status.h"

namespace gw::detectors {

struct FilesystemAccess {
  std::string plugin_file;              // read and execute; empty for a built-in
  std::vector<std::string> read_paths;  // files or directories; each must exist
  std::string scratch_dir;              // every right; empty: none
};

// The Landlock ABI version of the running kernel, 0 when it has none (not built, or disabled).
int landlockAbi();

// Restricts this thread and the threads it creates from now on (so call it while the process has
// one thread). Returns the ABI version in force, or 0 (nothing done) when the kernel has no
// Landlock; an error when a path of `access` cannot be opened or the kernel refuses the rules.
Result<int> restrictFilesystem(const FilesystemAccess& access);

}  // namespace gw::detectors
