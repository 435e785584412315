#pragma once
// A throw-away certificate authority for TLS tests, made with the openssl CLI at test time in a
// private directory: never a key in the repository. EC P-256 keys (fast to generate).
#include <filesystem>
#include <string>
#include <vector>

namespace gw::testing {

class TestPki {
 public:
  struct Issued {
    std::filesystem::path cert;
    std::filesystem::path key;
  };

  // Creates the CA (ca.crt, ca.key) in `dir`. Throws std::runtime_error with openssl's output
  // when a command fails.
  explicit TestPki(std::filesystem::path dir);

  // A certificate for `name` signed by this CA, usable as server and client certificate.
  // `subject_alt_names` as openssl writes them, e.g. "DNS:localhost,IP:127.0.0.1".
  Issued issue(const std::string& name, const std::string& subject_alt_names);

  const std::filesystem::path& caCert() const { return ca_cert_; }

 private:
  void run(const std::vector<std::string>& argv);

  std::filesystem::path dir_;
  std::filesystem::path ca_cert_;
  std::filesystem::path ca_key_;
};

}  // namespace gw::testing
