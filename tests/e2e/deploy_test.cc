// What an edge box runs: the systemd unit (checked by systemd-analyze), gatewayd's sd_notify
// protocol (READY, WATCHDOG, RELOADING, STOPPING, read from a real notify socket), and the Debian
// package built by CPack, unpacked into a scratch root and run from there.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/child_process.h"
#include "tests/support/mosquitto_broker.h"

namespace gw {
namespace {

namespace fs = std::filesystem;
using gw::testing::ChildProcess;
using gw::testing::TempDir;

std::string findProgram(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/sbin", "/usr/local/bin"}) {
    const fs::path p = fs::path(dir) / name;
    if (fs::exists(p)) return p.string();
  }
  return "";
}

struct Ran {
  int exit_code = -1;
  std::string out;
  std::string err;
};

Ran run(const std::vector<std::string>& argv, const fs::path& scratch, const std::string& tag,
        std::map<std::string, std::string> env = {}) {
  ChildProcess child({argv, std::move(env), scratch / (tag + ".out"), scratch / (tag + ".err")});
  auto status = child.wait(std::chrono::seconds(120));
  if (!status) return {};
  return {ChildProcess::exitCode(*status), child.readStdout(), child.readStderr()};
}

// Verifies `unit` (deploy/systemd/<unit>) with ExecStart pointed at the binary just built, and
// returns the unit's text; any warning of systemd's is a failure.
std::string verifiedUnit(const TempDir& dir, const std::string& name, const std::string& binary,
                         const std::string& analyze) {
  std::string unit = gw::testing::readWholeFile(gw::testing::sourceDir() / "deploy/systemd" / name);
  const std::string installed = "/usr/bin/" + binary;
  // verify checks that ExecStart (and ExecStartPre) exist: point them at the binary just built.
  for (auto at = unit.find(installed); at != std::string::npos; at = unit.find(installed, at)) {
    unit.replace(at, installed.size(), gw::testing::appBinary(binary));
  }
  std::ofstream(dir / name) << unit;
  Ran verify = run({analyze, "verify", "--man=no", (dir / name).string()}, dir.path(), "verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  // Unknown keys and bad values are only warnings to systemd: treat any as a failure.
  EXPECT_EQ(verify.err.find(name), std::string::npos) << verify.err;
  return unit;
}

// systemd-analyze security's overall exposure (lower is better; <= 2 is "OK").
double exposure(const TempDir& dir, const std::string& name, const std::string& analyze) {
  Ran security = run({analyze, "security", "--offline=yes", "--no-pager", (dir / name).string()},
                     dir.path(), "security");
  const std::string all = security.out + security.err;
  const auto level = all.find("Overall exposure level for ");
  const auto colon = all.find(": ", level);
  if (level == std::string::npos || colon == std::string::npos) {
    ADD_FAILURE() << all;
    return 10;
  }
  return std::stod(all.substr(colon + 2));
}

TEST(SystemdUnitTest, TheActorServiceUnitVerifiesAndIsHardened) {
  const std::string analyze = findProgram("systemd-analyze");
  if (analyze.empty()) GTEST_SKIP() << "systemd-analyze is not installed";
  TempDir dir;
  const std::string unit = verifiedUnit(dir, "lantaarn-actor.service", "lantaarn-actor", analyze);
  for (const char* line :
       {"User=lantaarn-actor", "StateDirectory=lantaarn-actor", "ProtectSystem=strict",
        "NoNewPrivileges=yes", "Restart=always", "--check"}) {
    EXPECT_NE(unit.find(line), std::string::npos) << line;
  }
  EXPECT_NE(unit.find("\nCapabilityBoundingSet=\n"), std::string::npos) << "not empty";
  EXPECT_LT(exposure(dir, "lantaarn-actor.service", analyze), 2.0);
}

TEST(SystemdUnitTest, VerifiesWithoutAnyWarningAndIsHardened) {
  const std::string analyze = findProgram("systemd-analyze");
  if (analyze.empty()) GTEST_SKIP() << "systemd-analyze is not installed";
  TempDir dir;
  const std::string unit = verifiedUnit(dir, "lantaarn-gatewayd.service", "gatewayd", analyze);

  for (const char* line : {"Type=notify", "WatchdogSec=", "User=lantaarn",
                           "StateDirectory=lantaarn", "ProtectSystem=strict", "NoNewPrivileges=yes",
                           "ExecReload=/bin/kill -HUP $MAINPID", "Restart=always"}) {
    EXPECT_NE(unit.find(line), std::string::npos) << line;
  }
  EXPECT_NE(unit.find("\nCapabilityBoundingSet=\n"), std::string::npos) << "not empty";
  EXPECT_LT(exposure(dir, "lantaarn-gatewayd.service", analyze), 2.0);
}

// A notify socket like systemd's: a datagram socket gatewayd finds through NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot bind notify socket " + path.string());
    }
  }
  ~NotifySocket() { ::close(fd_); }
  // Reads datagrams until one contains `wanted`, or the deadline passes; keeps all it saw.
  bool waitFor(const std::string& wanted, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      seen_.emplace_back(buf, static_cast<size_t>(n));
      if (seen_.back().find(wanted) != std::string::npos) return true;
    }
    return false;
  }
  std::string seen() const {
    std::string all;
    for (const auto& s : seen_) all += "[" + s + "] ";
    return all;
  }

 private:
  fs::path path_;
  int fd_ = -1;
  std::vector<std::string> seen_;
};

TEST(SdNotifyTest, GatewaydReportsReadyPingsTheWatchdogAndReportsReloadAndStop) {
  TempDir dir;
  gw::testing::MosquittoBroker broker;
  ASSERT_EQ(run({gw::testing::appBinary("gatewayctl"), "keygen", "--actor", "a", "--out",
                 (dir / "keys").string()},
                dir.path(), "keygen")
                .exit_code,
            0);
  std::ofstream(dir / "p.yaml") << "site: {id: notify-site}\n"
                                   "actors: [{id: a, public_key_file: "
                                << (dir / "keys/a.pub").string()
                                << ", purposes: [p]}]\n"
                                   "sources:\n"
                                   "  - id: level\n"
                                   "    sensor: {format: json_reading, udp: {port: "
                                << gw::testing::freeLoopbackPort() << "}}\n";
  NotifySocket notify(dir / "notify");
  ChildProcess gatewayd({{gw::testing::appBinary("gatewayd"), "--policy", (dir / "p.yaml").string(),
                          "--broker", broker.url(), "--state-dir", "", "--ops-listen", "off"},
                         {{"NOTIFY_SOCKET", (dir / "notify").string()},
                          {"WATCHDOG_USEC", "200000"}},  // pings every 100 ms
                         dir / "gatewayd.out",
                         dir / "gatewayd.err"});
  ASSERT_TRUE(notify.waitFor("READY=1", std::chrono::seconds(20))) << gatewayd.readStderr();
  ASSERT_TRUE(notify.waitFor("WATCHDOG=1", std::chrono::seconds(10))) << notify.seen();
  ASSERT_TRUE(notify.waitFor("WATCHDOG=1", std::chrono::seconds(10))) << notify.seen();
  gatewayd.signal(SIGHUP);
  ASSERT_TRUE(notify.waitFor("RELOADING=1", std::chrono::seconds(10))) << notify.seen();
  ASSERT_TRUE(notify.waitFor("READY=1", std::chrono::seconds(10))) << notify.seen();
  gatewayd.signal(SIGTERM);
  ASSERT_TRUE(notify.waitFor("STOPPING=1", std::chrono::seconds(10))) << notify.seen();
  auto status = gatewayd.wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(ChildProcess::exitCode(*status), 0);
}

TEST(DebianPackageTest, CpackBuildsADebThatRunsFromAScratchRoot) {
  const std::string cpack = findProgram("cpack");
  const std::string dpkg_deb = findProgram("dpkg-deb");
  if (cpack.empty() || dpkg_deb.empty()) GTEST_SKIP() << "cpack or dpkg-deb is not installed";
  TempDir dir;
  Ran built =
      run({cpack, "-G", "DEB", "--config",
           (gw::testing::binaryDir() / "CPackConfig.cmake").string(), "-B", (dir / "out").string()},
          dir.path(), "cpack");
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  fs::path deb;
  for (const auto& entry : fs::directory_iterator(dir / "out")) {
    if (entry.path().extension() == ".deb") deb = entry.path();
  }
  ASSERT_FALSE(deb.empty()) << built.out;

  Ran fields = run({dpkg_deb, "--field", deb.string(), "Package", "Version", "Depends"}, dir.path(),
                   "fields");
  ASSERT_EQ(fields.exit_code, 0) << fields.err;
  EXPECT_NE(fields.out.find("Package: lantaarn"), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("libsodium"), std::string::npos) << fields.out;  // shlibdeps ran
  const auto version_at = fields.out.find("Version: ");
  ASSERT_NE(version_at, std::string::npos) << fields.out;
  const std::string version =
      fields.out.substr(version_at + 9, fields.out.find('\n', version_at) - version_at - 9);

  const fs::path root = dir / "root";
  ASSERT_EQ(run({dpkg_deb, "-x", deb.string(), root.string()}, dir.path(), "unpack").exit_code, 0);
  for (const char* file :
       {"usr/bin/gatewayd", "usr/bin/gatewayctl", "usr/include/lantaarn/gw_detector_api.h",
        "usr/include/lantaarn/lantaarn_detector.hpp", "etc/lantaarn/examples/edge-site.yaml",
        "lib/systemd/system/lantaarn-gatewayd.service", "usr/lib/sysusers.d/lantaarn.conf",
        "usr/share/doc/lantaarn/DEPLOY.md", "usr/bin/lantaarn-actor",
        "lib/systemd/system/lantaarn-actor.service", "usr/lib/sysusers.d/lantaarn-actor.conf",
        "etc/lantaarn-actor/examples/actor.yaml", "usr/share/doc/lantaarn/ACTORS.md"}) {
    EXPECT_TRUE(fs::exists(root / file)) << file;
  }
  // The vision models, byte for byte as shipped, with their licences and provenance.
  const fs::path models = root / "usr/share/lantaarn/models";
  const fs::path shipped = gw::testing::sourceDir() / "gateway/vision/models";
  for (const char* file :
       {"bodypix_mnv1_050_s16_240x320_nchw_cv46.onnx", "face_yunet_2022mar.onnx",
        "nanodet_m_320.onnx", "LICENSE-Apache-2.0.txt", "LICENSE-MIT-YuNet.txt", "PROVENANCE.md"}) {
    ASSERT_TRUE(fs::exists(models / file)) << file;
    EXPECT_EQ(gw::testing::readWholeFile(models / file), gw::testing::readWholeFile(shipped / file))
        << file;
  }
  EXPECT_TRUE(fs::is_directory(root / "etc/lantaarn/policy.d"));
  bool has_cmake_config = false;
  for (const auto& entry : fs::recursive_directory_iterator(root / "usr/lib")) {
    has_cmake_config |= entry.path().filename() == "LantaarnConfig.cmake";
  }
  EXPECT_TRUE(has_cmake_config);

  Ran v = run({(root / "usr/bin/gatewayd").string(), "--version"}, dir.path(), "version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out, "gatewayd " + version + "\n");

  const fs::path keys = dir / "keys";
  for (const char* actor : {"municipality", "public"}) {
    ASSERT_EQ(run({(root / "usr/bin/gatewayctl").string(), "keygen", "--actor", actor, "--out",
                   keys.string()},
                  dir.path(), std::string("keygen-") + actor)
                  .exit_code,
              0);
  }
  Ran check = run({(root / "usr/bin/gatewayctl").string(), "policy", "check",
                   (root / "etc/lantaarn/examples/edge-site.yaml").string()},
                  dir.path(), "check", {{"LANTAARN_KEYS", keys.string()}});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("policy OK"), std::string::npos) << check.out;

  // A policy that needs every model (a fall detector, an anonymised snapshot route): the unpacked
  // gatewayctl finds the models the package put next to it, with no configuration...
  std::ofstream(dir / "clip.mp4") << "x";
  std::ofstream(dir / "vision.yaml")
      << "site: {id: plein, name: Plein, operator_contact: privacy@gemeente.example}\n"
         "actors:\n"
         "  - {id: municipality, public_key_file: "
      << (keys / "municipality.pub").string()
      << ", purposes: [emergency_care]}\n"
         "sources:\n"
         "  - {id: cam, camera: {uri: "
      << (dir / "clip.mp4").string()
      << "}}\n"
         "detectors:\n"
         "  - {id: fall, sources: [cam], fall: {}}\n"
         "routes:\n"
         "  - {to: municipality, purpose: emergency_care, from: {detectors: [fall]}, snapshot: "
         "anonymised}\n";
  const std::vector<std::string> check_vision = {(root / "usr/bin/gatewayctl").string(), "policy",
                                                 "check", (dir / "vision.yaml").string()};
  Ran found = run(check_vision, dir.path(), "check-vision");
  EXPECT_EQ(found.exit_code, 0) << found.out << found.err;
  // ... and looks nowhere else: with one of them damaged there, the check fails naming that file.
  fs::resize_file(models / "face_yunet_2022mar.onnx", 1000);
  Ran damaged = run(check_vision, dir.path(), "check-damaged");
  EXPECT_EQ(damaged.exit_code, 1) << damaged.out << damaged.err;
  EXPECT_NE((damaged.out + damaged.err).find((models / "face_yunet_2022mar.onnx").string()),
            std::string::npos)
      << damaged.out << damaged.err;
}

}  // namespace
}  // namespace gw
