#pragma once
// Runs a real program (gatewayd, gatewayctl, mosquitto) as a child process for tests, with its
// output going to files, and waits for it with deadlines instead of fixed sleeps.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gw::testing {

class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;  // added to the inherited environment
    std::filesystem::path stdout_path;       // empty: /dev/null
    std::filesystem::path stderr_path;       // empty: /dev/null
    bool append = false;                     // append to the output files instead of truncating
  };

  explicit ChildProcess(Options options);  // starts it; throws if it cannot be spawned
  ~ChildProcess();                         // SIGKILLs it if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // The exit status (as from waitpid) once it has exited, or nullopt at the deadline.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  // Exit code, or 128+signal if it was killed by a signal.
  static int exitCode(int wait_status);

  std::string readStdout() const;
  std::string readStderr() const;

 private:
  Options options_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Polls `predicate` every few ms until it is true or `timeout` passes; returns its last value.
template <typename Predicate>
bool waitUntil(Predicate predicate, std::chrono::milliseconds timeout);

std::string readWholeFile(const std::filesystem::path& path);

}  // namespace gw::testing

#include <thread>

template <typename Predicate>
bool gw::testing::waitUntil(Predicate predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}
