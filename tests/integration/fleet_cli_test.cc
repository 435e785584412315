// The operator's end of signed policy bundles through the built gatewayctl: an operator key, a
// bundle of a real policy directory with an actor key and a real plugin, `policy verify` with the
// right key (OK, and every file with its size and hash), with another operator's key, and on a
// bundle with one byte changed (REFUSED, exit 1).
#include <gtest/gtest.h>

#include <fstream>

#include "gateway/core/files.h"
#include "gateway/crypto/key_file.h"
#include "gateway/fleet/bundle_reader.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace gw {
namespace {

using gw::testing::ChildProcess;

class FleetCliTest : public ::testing::Test {
 protected:
  // Runs gatewayctl with `args`; its exit code, stdout in out_.
  int ctl(std::vector<std::string> args) {
    args.insert(args.begin(), gw::testing::appBinary("gatewayctl"));
    ChildProcess run({args, {}, dir_ / "out.txt", dir_ / "err.txt"});
    auto status = run.wait(std::chrono::seconds(30));
    EXPECT_TRUE(status.has_value());
    out_ = run.readStdout() + run.readStderr();
    return status ? ChildProcess::exitCode(*status) : -1;
  }

  gw::testing::TempDir dir_;
  std::string out_;
};

TEST_F(FleetCliTest, AnOperatorSignsABundleAndVerifyShowsWhatItHoldsOrWhyItIsRefused) {
  ASSERT_EQ(ctl({"keygen", "--operator", "city-ops", "--out", (dir_ / "ops").string()}), 0) << out_;
  ASSERT_EQ(ctl({"keygen", "--operator", "someone-else", "--out", (dir_ / "ops").string()}), 0);
  ASSERT_EQ(ctl({"keygen", "--actor", "police", "--out", (dir_ / "keys").string()}), 0);
  std::filesystem::create_directories(dir_ / "shared");
  std::ofstream(dir_ / "shared" / "police.yaml")
      << "actors:\n  - {id: police, public_key_file: ../keys/police.pub, purposes: "
         "[public_order]}\n"
         "detectors:\n  - {id: crowding, sources: [cam], plugin: {path: "
      << GW_PLUGIN
      << ", params: {above: '5'}}}\n"
         "routes:\n  - {to: police, purpose: public_order, from: {detectors: [crowding]}}\n";

  ASSERT_EQ(ctl({"policy", "bundle", (dir_ / "shared").string(), "--key",
                 (dir_ / "ops" / "city-ops.key").string(), "--version", "12", "--sites",
                 "lamp-1,lamp-2", "--out", (dir_ / "v12.bundle").string()}),
            0)
      << out_;
  EXPECT_NE(out_.find("bundle version 12 signed by city-ops"), std::string::npos) << out_;

  ASSERT_EQ(ctl({"policy", "verify", (dir_ / "v12.bundle").string(), "--operator-key",
                 (dir_ / "ops" / "city-ops.pub").string()}),
            0)
      << out_;
  EXPECT_NE(out_.find("operator city-ops, version 12, for sites lamp-1,lamp-2"), std::string::npos)
      << out_;
  auto plugin = readFile(GW_PLUGIN);
  ASSERT_TRUE(plugin.ok());
  EXPECT_NE(out_.find("plugins/" + fleet::sha256Hex(*plugin) + ".so"), std::string::npos) << out_;
  EXPECT_NE(out_.find("keys/police.pub"), std::string::npos) << out_;
  EXPECT_NE(out_.find("policy/police.yaml"), std::string::npos) << out_;

  // Another operator's key: refused, naming why.
  EXPECT_EQ(ctl({"policy", "verify", (dir_ / "v12.bundle").string(), "--operator-key",
                 (dir_ / "ops" / "someone-else.pub").string()}),
            1);
  EXPECT_NE(out_.find("REFUSED"), std::string::npos) << out_;
  EXPECT_NE(out_.find("not an operator key of this gateway"), std::string::npos) << out_;

  // One byte of the plugin changed inside the bundle: the signature no longer holds.
  auto bytes = readFile(dir_ / "v12.bundle");
  ASSERT_TRUE(bytes.ok());
  std::string tampered = *bytes;
  tampered[tampered.size() / 2] = static_cast<char>(tampered[tampered.size() / 2] ^ 1);
  std::ofstream(dir_ / "tampered.bundle", std::ios::binary) << tampered;
  EXPECT_EQ(ctl({"policy", "verify", (dir_ / "tampered.bundle").string(), "--operator-key",
                 (dir_ / "ops" / "city-ops.pub").string()}),
            1)
      << out_;
  EXPECT_NE(out_.find("REFUSED"), std::string::npos) << out_;

  // A gateway's identity key is not an operator key.
  ASSERT_EQ(ctl({"keygen", "--gateway", "lamp-1", "--out", (dir_ / "site").string()}), 0);
  EXPECT_EQ(ctl({"policy", "bundle", (dir_ / "shared").string(), "--key",
                 (dir_ / "site" / "gateway.key").string(), "--version", "13", "--group", "north",
                 "--out", (dir_ / "v13.bundle").string()}),
            1);
  EXPECT_NE(out_.find("it is not the operator key asked for"), std::string::npos) << out_;
}

}  // namespace
}  // namespace gw
