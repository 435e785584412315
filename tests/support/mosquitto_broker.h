#pragma once
// The one shared test helper for a real broker: starts Debian's mosquitto on a free loopback port
// with a generated config in a private directory, and returns once it accepts connections (a
// connect poll with a deadline, never a fixed sleep). Stopped (SIGTERM, then SIGKILL) on
// destruction.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace gw::testing {

// A TLS listener instead of plain TCP (certificates from tests/support/test_pki.h).
struct BrokerTls {
  std::filesystem::path ca_file;
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
  bool require_certificate = false;  // clients must present a certificate signed by ca_file
};

struct BrokerUser {
  std::string name;
  std::string password;
};

struct BrokerOptions {
  std::vector<std::string> extra_config;  // more mosquitto.conf lines (acl_file, persistence, ...)
  bool allow_anonymous = true;
  int port = 0;              // 0: pick a free one
  bool persistence = false;  // keep sessions and queued messages across restarts
  std::optional<BrokerTls> tls;
  // When not empty: a password_file written with mosquitto_passwd, and anonymous clients refused.
  std::vector<BrokerUser> users;
  // Leave out Lantaarn's tuning lines (max_queued_messages 0, set_tcp_nodelay true), so the
  // broker runs with mosquitto's own defaults as Debian ships them (Nagle on, at most 1000
  // queued messages per client, 20 in flight): how a site's untuned broker behaves.
  bool debian_defaults = false;
};

class MosquittoBroker {
 public:
  // Throws std::runtime_error (with mosquitto's log) if it does not come up within the deadline.
  explicit MosquittoBroker(BrokerOptions options = {});
  ~MosquittoBroker();

  int port() const { return port_; }
  // tcp://127.0.0.1:PORT, or ssl://127.0.0.1:PORT for a TLS listener.
  std::string url() const {
    return (options_.tls ? "ssl://127.0.0.1:" : "tcp://127.0.0.1:") + std::to_string(port_);
  }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::string log() const;

  // Stops the broker (the port stays reserved for start()); for outage tests.
  void stop();
  // Starts it again on the same port and waits until it accepts connections.
  void start();
  // Freezes it (SIGSTOP): connections stay open but nothing is read, so a client's socket
  // buffers fill and its library has to keep what it cannot write. thaw() (SIGCONT) resumes;
  // stop() works on a frozen broker too.
  void freeze();
  void thaw();
  // SIGHUP: mosquitto re-reads its ACL and password files (an operator fixing an ACL); returns
  // once it has (its log says so), throws std::runtime_error after 10 s.
  void reload();

 private:
  void writePasswordFile();

  BrokerOptions options_;
  TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

// A TCP port on 127.0.0.1 that nothing listens on right now.
int freeLoopbackPort();
// True when something accepts a TCP connection on 127.0.0.1:port.
bool acceptsConnections(int port);

}  // namespace gw::testing
