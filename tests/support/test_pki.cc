#include "tests/support/test_pki.h"

#include <fstream>
#include <stdexcept>

#include "tests/support/child_process.h"

namespace gw::testing {

TestPki::TestPki(std::filesystem::path dir)
    : dir_(std::move(dir)), ca_cert_(dir_ / "ca.crt"), ca_key_(dir_ / "ca.key") {
  std::filesystem::create_directories(dir_);
  run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-keyout", ca_key_.string(), "-out", ca_cert_.string(), "-days", "2", "-subj",
       "/CN=lantaarn-test-ca"});
}

TestPki::Issued TestPki::issue(const std::string& name, const std::string& subject_alt_names) {
  Issued issued{dir_ / (name + ".crt"), dir_ / (name + ".key")};
  const auto csr = dir_ / (name + ".csr");
  const auto ext = dir_ / (name + ".ext");
  std::ofstream(ext) << "basicConstraints=CA:FALSE\n"
                     << "keyUsage=digitalSignature,keyEncipherment\n"
                     << "extendedKeyUsage=serverAuth,clientAuth\n"
                     << "subjectAltName=" << subject_alt_names << "\n";
  run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", issued.key.string(), "-out", csr.string(), "-subj", "/CN=" + name});
  run({"openssl", "x509", "-req", "-in", csr.string(), "-CA", ca_cert_.string(), "-CAkey",
       ca_key_.string(), "-CAcreateserial", "-out", issued.cert.string(), "-days", "2", "-extfile",
       ext.string()});
  return issued;
}

void TestPki::run(const std::vector<std::string>& argv) {
  const auto log = dir_ / "openssl.log";
  ChildProcess openssl({argv, {}, log, log, false});
  auto status = openssl.wait(std::chrono::seconds(30));
  if (!status || ChildProcess::exitCode(*status) != 0) {
    throw std::runtime_error("openssl failed (" + argv[1] + "): " + readWholeFile(log));
  }
}

}  // namespace gw::testing
