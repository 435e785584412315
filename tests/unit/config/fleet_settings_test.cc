// The policy's gateway.fleet section (docs/FLEET.md): operator keys read and checked, durations
// and defaults, relative paths, every error at its file:line naming its key; and the fleet's
// lines in the Mosquitto ACL that `gatewayctl acl export` writes.
#include <gtest/gtest.h>

#include <fstream>

#include "gateway/config/broker_acl.h"
#include "gateway/config/policy_loader.h"
#include "gateway/crypto/key_file.h"
#include "tests/support/temp_dir.h"

namespace gw::config {
namespace {

namespace fs = std::filesystem;

// A site policy with `gateway` as its gateway section (lines 2.. of the file).
std::string sitePolicy(const std::string& gateway) {
  return "site: {id: lamp-12}\n" + gateway +
         "actors:\n"
         "  - {id: fire, public_key_file: keys/fire.pub, purposes: [rescue]}\n"
         "sources:\n"
         "  - {id: w, sensor: {format: json_reading, udp: {port: 7001}}}\n"
         "routes:\n"
         "  - {to: fire, purpose: rescue, from: {measurements: [water_level]}}\n";
}

class FleetSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::initSodium().ok());
    // The policy sits in etc/, and its relative paths are relative to it, not to the cwd.
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("fire"), etc() / "keys").ok());
    ASSERT_TRUE(crypto::writeOperatorKeyPair(operator_, etc() / "ops").ok());
    ASSERT_TRUE(crypto::writeOperatorKeyPair(second_operator_, etc() / "ops").ok());
    ASSERT_TRUE(crypto::writeIdentityKeyPair(crypto::generateIdentityKey("lamp-12"), etc() / "id",
                                             "gateway")
                    .ok());
  }
  fs::path etc() const { return dir_ / "etc"; }
  fs::path file() const { return etc() / "policy.yaml"; }
  LoadResult load(const std::string& text) {
    std::ofstream(file()) << text;
    return loadPolicy(file());
  }
  static std::string errors(const LoadResult& r) {
    std::string out;
    for (const auto& e : r.errors) out += e.toString() + "\n";
    return out;
  }
  // The one error of a policy whose fleet section is `fleet` (from line 3), as its text.
  std::string oneError(const std::string& fleet) {
    auto r = load(sitePolicy("gateway:\n  fleet:\n" + fleet));
    EXPECT_FALSE(r.ok()) << fleet;
    EXPECT_EQ(r.errors.size(), 1u) << errors(r);
    return r.errors.empty() ? "" : r.errors.front().toString();
  }

  testing::TempDir dir_;
  crypto::IdentityKey operator_ = crypto::generateIdentityKey("city-ops");
  crypto::IdentityKey second_operator_ = crypto::generateIdentityKey("region-ops");
};

TEST_F(FleetSettingsTest, AValidFleetSectionResolves) {
  auto r =
      load(sitePolicy("gateway:\n"
                      "  fleet:\n"
                      "    operator_keys: [ops/city-ops.pub, ops/region-ops.pub]\n"
                      "    group: north-1\n"
                      "    probation: 90s\n"
                      "    status_interval: 5m\n"
                      "    operator_broker_user: ops-user\n"));
  ASSERT_TRUE(r.ok()) << errors(r);
  ASSERT_TRUE(r.policy->fleet.has_value());
  const FleetOptions& fleet = *r.policy->fleet;
  ASSERT_EQ(fleet.operator_keys.size(), 2u);
  EXPECT_EQ(fleet.operator_keys[0].owner, "city-ops");
  EXPECT_EQ(fleet.operator_keys[0].key_id, operator_.key_id);
  EXPECT_EQ(fleet.operator_keys[0].bytes, operator_.public_key);
  EXPECT_EQ(fleet.operator_keys[1].owner, "region-ops");
  EXPECT_EQ(fleet.operator_keys[1].key_id, second_operator_.key_id);
  EXPECT_EQ(fleet.group, "north-1");
  EXPECT_EQ(fleet.probation, std::chrono::seconds(90));
  EXPECT_EQ(fleet.status_interval, std::chrono::minutes(5));
  EXPECT_EQ(fleet.operator_broker_user, "ops-user");
  // The policy as written, normalised: the key paths absolute, relative to the policy file.
  const auto& written = r.policy->policy.gateway().fleet();
  EXPECT_EQ(written.operator_keys(0), (etc() / "ops" / "city-ops.pub").string());
  EXPECT_EQ(written.operator_keys(1), (etc() / "ops" / "region-ops.pub").string());
}

TEST_F(FleetSettingsTest, DefaultsAreFilledInAndNoSectionIsNoFleet) {
  auto r = load(sitePolicy("gateway:\n  fleet: {operator_keys: [ops/city-ops.pub]}\n"));
  ASSERT_TRUE(r.ok()) << errors(r);
  ASSERT_TRUE(r.policy->fleet.has_value());
  EXPECT_EQ(r.policy->fleet->group, "");
  EXPECT_EQ(r.policy->fleet->probation, std::chrono::seconds(60));
  EXPECT_EQ(r.policy->fleet->status_interval, std::chrono::seconds(60));
  EXPECT_EQ(r.policy->fleet->operator_broker_user, "lantaarn-operator");
  const auto& written = r.policy->policy.gateway().fleet();
  EXPECT_EQ(written.probation(), "60s");
  EXPECT_EQ(written.status_interval(), "60s");
  EXPECT_EQ(written.operator_broker_user(), "lantaarn-operator");

  auto none = load(sitePolicy("gateway: {max_inflight: 10}\n"));
  ASSERT_TRUE(none.ok()) << errors(none);
  EXPECT_FALSE(none.policy->fleet.has_value());
  EXPECT_FALSE(none.policy->policy.gateway().has_fleet());
}

TEST_F(FleetSettingsTest, EachBadSettingIsAnErrorAtItsLineNamingItsKey) {
  const std::string at = file().string() + ":";
  // No operator key: reported at the fleet section, as the key has no line of its own.
  EXPECT_EQ(oneError("    group: north\n"),
            at + "4:5: gateway.fleet.operator_keys: a fleet needs at least one operator public "
                 "key (gatewayctl keygen --operator)");
  EXPECT_EQ(oneError("    operator_keys:\n      - ops/city-ops.pub\n      - ops/gone.pub\n"),
            at + "6:9: gateway.fleet.operator_keys[1]: no such operator key file: " +
                (etc() / "ops" / "gone.pub").string());

  std::string e = oneError("    operator_keys:\n      - keys/fire.pub\n");
  EXPECT_EQ(e.rfind(at + "5:9: gateway.fleet.operator_keys[0]: ", 0), 0u) << e;
  EXPECT_NE(e.find("fire.pub: key type is 'x25519-public', expected 'ed25519-public'"),
            std::string::npos)
      << e;
  e = oneError("    operator_keys:\n      - ops/city-ops.pub\n      - id/gateway.pub\n");
  EXPECT_EQ(e.rfind(at + "6:9: gateway.fleet.operator_keys[1]: ", 0), 0u) << e;
  EXPECT_NE(e.find("gateway.pub: its owner line is not 'operator:', so it is not the operator key"),
            std::string::npos)
      << e;

  const std::string keys = "    operator_keys: [ops/city-ops.pub]\n";
  e = oneError(keys + "    group: North!\n");
  EXPECT_EQ(e.rfind(at + "5:12: gateway.fleet.group: 'North!' is not a valid group name", 0), 0u)
      << e;
  for (const char* bad : {"0s", "2d", "soon", "25h", "-5s"}) {
    e = oneError(keys + "    probation: " + bad + "\n");
    EXPECT_EQ(e, at + "5:16: gateway.fleet.probation: '" + bad +
                     "' is not a duration from 1s to 24h (expected e.g. 100ms, 1s, 30s, 5m)");
  }
  e = oneError(keys + "    status_interval: 500ms\n");
  EXPECT_EQ(e.rfind(at + "5:22: gateway.fleet.status_interval: '500ms' is not a duration", 0), 0u)
      << e;
}

TEST_F(FleetSettingsTest, AllFleetErrorsOfOnePolicyAreReportedTogether) {
  auto r =
      load(sitePolicy("gateway:\n"
                      "  fleet:\n"
                      "    operator_keys: [id/gateway.pub]\n"
                      "    group: '-x'\n"
                      "    probation: soon\n"
                      "    status_interval: 2d\n"));
  ASSERT_FALSE(r.ok());
  const std::string text = errors(r);
  EXPECT_EQ(r.errors.size(), 4u) << text;
  for (const char* expected :
       {":4:21: gateway.fleet.operator_keys[0]: ", ":5:12: gateway.fleet.group: ",
        ":6:16: gateway.fleet.probation: 'soon'", ":7:22: gateway.fleet.status_interval: '2d'"}) {
    EXPECT_NE(text.find(file().string() + expected), std::string::npos)
        << "missing: " << expected << "\n"
        << text;
  }
}

// `gatewayctl acl export`: the text config::mosquittoAcl renders for the loaded policy.
class FleetAclTest : public FleetSettingsTest {
 protected:
  std::string acl(const std::string& gateway) {
    auto r = load(sitePolicy(gateway));
    EXPECT_TRUE(r.ok()) << errors(r);
    return r.ok() ? mosquittoAcl(r.policy->policy) : "";
  }
  // The lines of the block that `user <name>` opens, up to the next user line.
  static std::string blockOf(const std::string& acl, const std::string& user) {
    const size_t start = acl.find("\nuser " + user + "\n");
    if (start == std::string::npos) return "";
    const size_t end = acl.find("\nuser ", start + 1);
    return acl.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
  }
  static bool has(const std::string& text, const std::string& line) {
    return text.find(line) != std::string::npos;
  }
};

TEST_F(FleetAclTest, AFleetSiteReadsItsBundlesAndTheOperatorWritesThem) {
  const std::string text =
      acl("gateway:\n  fleet: {operator_keys: [ops/city-ops.pub], group: north}\n");
  const std::string gateway = blockOf(text, "lantaarn-gw-lamp-12");
  EXPECT_TRUE(has(gateway, "topic write lantaarn/v1/lamp-12/+/#\n")) << text;
  EXPECT_TRUE(has(gateway, "topic read lantaarn/fleet/v1/site/lamp-12/bundle\n")) << text;
  EXPECT_TRUE(has(gateway, "topic read lantaarn/fleet/v1/group/north/bundle\n")) << text;
  EXPECT_FALSE(has(gateway, "topic write lantaarn/fleet")) << "the gateway only reads bundles";
  EXPECT_EQ(blockOf(text, "lantaarn-operator"),
            "user lantaarn-operator\n"
            "topic write lantaarn/fleet/v1/#\n"
            "topic read lantaarn/v1/+/_gateway/#\n")
      << text;
  // The actor may not read bundles.
  EXPECT_FALSE(has(blockOf(text, "fire"), "lantaarn/fleet")) << text;
}

TEST_F(FleetAclTest, TheOperatorsBrokerUserAndNoGroup) {
  const std::string text = acl(
      "gateway:\n  fleet: {operator_keys: [ops/city-ops.pub], operator_broker_user: ops-user}\n");
  EXPECT_TRUE(has(text, "topic read lantaarn/fleet/v1/site/lamp-12/bundle\n")) << text;
  EXPECT_FALSE(has(text, "/group/")) << text;
  EXPECT_FALSE(has(text, "user lantaarn-operator\n")) << text;
  const std::string ops = blockOf(text, "ops-user");
  EXPECT_TRUE(has(ops, "topic write lantaarn/fleet/v1/#\n")) << text;
  EXPECT_TRUE(has(ops, "topic read lantaarn/v1/+/_gateway/#\n")) << text;
}

TEST_F(FleetAclTest, WithoutAFleetThereAreNoFleetLines) {
  const std::string text = acl("");
  ASSERT_FALSE(text.empty());
  EXPECT_TRUE(has(text, "user lantaarn-gw-lamp-12\n")) << text;
  for (const char* absent : {"lantaarn/fleet", "/bundle", "lantaarn-operator", "_gateway/#"}) {
    EXPECT_FALSE(has(text, absent)) << absent << "\n" << text;
  }
}

}  // namespace
}  // namespace gw::config
