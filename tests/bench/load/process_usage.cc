#include "tests/bench/load/process_usage.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace gw::load {

std::optional<ProcessUsage> readProcessUsage(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream stat(dir + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return std::nullopt;
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are
  // space separated: state is field 3, utime 14 and stime 15.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  ProcessUsage usage;
  usage.user_seconds = static_cast<double>(utime) / tick;
  usage.system_seconds = static_cast<double>(stime) / tick;
  usage.cpu_seconds = usage.user_seconds + usage.system_seconds;
  std::ifstream status(dir + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) usage.peak_rss_kib = std::stol(line.substr(6));
    if (line.rfind("VmRSS:", 0) == 0) usage.rss_kib = std::stol(line.substr(6));
  }
  return usage;
}

ProcessUsage selfUsage() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  ProcessUsage usage;
  usage.user_seconds = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6;
  usage.system_seconds = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6;
  usage.cpu_seconds = usage.user_seconds + usage.system_seconds;
  usage.peak_rss_kib = ru.ru_maxrss;
  return usage;
}

}  // namespace gw::load
