#pragma once
#include <filesystem>
#include <string>

#include "gateway/core/status.h"

namespace gw {

// Reads a whole file; NotFound / Unavailable name the path and the OS error.
Result<std::string> readFile(const std::filesystem::path& path);

// Reads a secret kept in a file of its own (a broker password): the whole file but the line end
// an editor or `echo` adds, which is never part of the secret.
Result<std::string> readSecretFile(const std::filesystem::path& path);

// readSecretFile() for a password an operator or actor keeps on a shared host: refused
// (PermissionDenied, naming the file) when others may read it, as key files are. Group read is
// allowed so a service account can share it through its group (e.g. root:lantaarn-actor 0640).
Result<std::string> readPasswordFile(const std::filesystem::path& path);

// A TLS file (CA, certificate, key) a client is about to hand to Paho: OK when empty or readable,
// else an error naming the file and why. Paho and OpenSSL only say "SSL error" when one cannot be
// read.
Status checkTlsFileReadable(const std::string& path, const char* what);

// Writes a file atomically (temp file + rename) with the given permission bits.
Status writeFileAtomic(const std::filesystem::path& path, const std::string& data,
                       std::filesystem::perms perms);

}  // namespace gw
