#include "tests/support/mosquitto_broker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace gw::testing {

int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks a free port
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool acceptsConnections(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

MosquittoBroker::MosquittoBroker(BrokerOptions options)
    : options_(std::move(options)),
      dir_("lantaarn-mosquitto"),
      port_(options_.port != 0 ? options_.port : freeLoopbackPort()) {
  writePasswordFile();
  std::ofstream conf(dir_ / "mosquitto.conf");
  conf << "listener " << port_ << " 127.0.0.1\n";
  if (options_.tls) {
    conf << "cafile " << options_.tls->ca_file.string() << "\n"
         << "certfile " << options_.tls->cert_file.string() << "\n"
         << "keyfile " << options_.tls->key_file.string() << "\n"
         << "require_certificate " << (options_.tls->require_certificate ? "true" : "false")
         << "\n";
  }
  if (!options_.users.empty()) conf << "password_file " << (dir_ / "passwd").string() << "\n";
  conf << "allow_anonymous "
       << (options_.allow_anonymous && options_.users.empty() ? "true" : "false") << "\n";
  if (!options_.debian_defaults) {
    // Lantaarn's own guidance (shared measurements): never let the broker drop queued QoS 1
    // messages silently, and avoid Nagle stalls on alarms.
    conf << "max_queued_messages 0\n"
         << "set_tcp_nodelay true\n";
  }
  conf << "log_dest stderr\n"
       << "log_type error\nlog_type warning\nlog_type notice\n"
       << "log_type information\n";  // "Reloading config.", which reload() waits for
  if (options_.persistence) {
    conf << "persistence true\npersistence_location " << dir_.path().string() << "/\n";
  }
  // Run as root (CI), mosquitto would switch to user `mosquitto`, which cannot write to our
  // private directory: stay the user we are.
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr)
    conf << "user " << pw->pw_name << "\n";
  for (const auto& line : options_.extra_config) conf << line << "\n";
  conf.close();
  start();
}

MosquittoBroker::~MosquittoBroker() { stop(); }

void MosquittoBroker::writePasswordFile() {
  bool first = true;
  for (const auto& user : options_.users) {
    // -c creates the file with the first user; -b takes the password from the command line.
    std::vector<std::string> argv{"mosquitto_passwd", "-b"};
    if (first) argv.push_back("-c");
    argv.insert(argv.end(), {(dir_ / "passwd").string(), user.name, user.password});
    first = false;
    ChildProcess passwd({argv, {}, {}, dir_ / "mosquitto_passwd.log", true});
    auto status = passwd.wait(std::chrono::seconds(10));
    if (!status || ChildProcess::exitCode(*status) != 0) {
      throw std::runtime_error("mosquitto_passwd failed: " +
                               readWholeFile(dir_ / "mosquitto_passwd.log"));
    }
  }
}

std::string MosquittoBroker::log() const { return readWholeFile(dir_ / "mosquitto.log"); }

void MosquittoBroker::start() {
  if (process_ && process_->running()) return;
  process_ = std::make_unique<ChildProcess>(
      ChildProcess::Options{{"mosquitto", "-c", (dir_ / "mosquitto.conf").string()},
                            {},
                            {},
                            dir_ / "mosquitto.log",
                            true});
  const bool up = waitUntil([this] { return !process_->running() || acceptsConnections(port_); },
                            std::chrono::seconds(10));
  if (!up || !process_->running()) {
    throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_) + ": " +
                             log());
  }
}

void MosquittoBroker::stop() {
  if (!process_) return;
  process_->signal(SIGTERM);
  process_->signal(SIGCONT);  // a frozen broker acts on the SIGTERM only once it runs again
  if (!process_->wait(std::chrono::seconds(5))) process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(5));
  process_.reset();
}

void MosquittoBroker::freeze() {
  if (process_) process_->signal(SIGSTOP);
}

void MosquittoBroker::thaw() {
  if (process_) process_->signal(SIGCONT);
}

void MosquittoBroker::reload() {
  if (!process_) return;
  // Mosquitto only flags the signal and reloads in its main loop, later; a test that goes on at
  // once (resending what the old ACL refused) would race it. It logs the reload (information).
  constexpr std::string_view kReloaded = "Reloading config.";
  auto reloads = [&] {
    const std::string text = log();
    size_t n = 0;
    for (auto at = text.find(kReloaded); at != std::string::npos;
         at = text.find(kReloaded, at + 1)) {
      ++n;
    }
    return n;
  };
  const size_t before = reloads();
  process_->signal(SIGHUP);
  if (!waitUntil([&] { return reloads() > before; }, std::chrono::seconds(10))) {
    throw std::runtime_error("mosquitto did not reload its configuration within 10 s:\n" + log());
  }
}

}  // namespace gw::testing
