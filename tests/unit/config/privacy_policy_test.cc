// The privacy settings a policy cannot get wrong: what the validator refuses cannot be
// configured (a raw snapshot without a legal basis, open data with images or single data), and
// the register entry says what the policy does.
#include <gtest/gtest.h>

#include <fstream>

#include "gateway/config/broker_acl.h"
#include "gateway/config/policy_loader.h"
#include "gateway/config/sensor_register.h"
#include "gateway/crypto/key_file.h"
#include "tests/support/temp_dir.h"

namespace gw::config {
namespace {

class PrivacyPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* actor : {"ambulance", "police", "public"}) {
      ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair(actor), dir_ / "keys").ok());
    }
    std::ofstream(dir_ / "clip.mp4") << "x";
  }

  LoadResult load(const std::string& routes) {
    std::ofstream(dir_ / "policy.yaml")
        << "site: {id: plein, name: Plein 1, operator_contact: privacy@gemeente.example}\n"
           "actors:\n"
           "  - {id: ambulance, name: RAV Utrecht, public_key_file: keys/ambulance.pub, "
           "purposes: [emergency_care]}\n"
           "  - {id: police, public_key_file: keys/police.pub, purposes: [public_order]}\n"
           "  - {id: public, public_key_file: keys/public.pub, purposes: [open_data]}\n"
           "sources:\n"
           "  - id: cam\n"
           "    description: camera at the bench\n"
           "    camera: {uri: clip.mp4, privacy_masks: [{points: [{x: 0, y: 0}, {x: 0.3, y: 0}, "
           "{x: 0.3, y: 0.25}]}]}\n"
           "detectors:\n"
           "  - {id: fall, sources: [cam], fall: {}}\n"
           "routes:\n"
        << routes;
    return loadPolicy(dir_ / "policy.yaml");
  }

  // The one error of a policy that should have exactly one.
  std::string onlyError(const std::string& routes) {
    auto result = load(routes);
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.errors.size(), 1u) << formatErrors(result.errors);
    return result.errors.empty() ? "" : result.errors[0].key_path + ": " + result.errors[0].message;
  }

  gw::testing::TempDir dir_;
};

TEST_F(PrivacyPolicyTest, ARawSnapshotWithoutALegalBasisCannotBeConfigured) {
  EXPECT_EQ(onlyError("  - {to: police, purpose: public_order, from: {detectors: [fall]}, "
                      "snapshot: raw}\n"),
            "routes[0].snapshot: a raw snapshot leaves the box only with a legal_basis (e.g. "
            "\"art. 151c Gemeentewet\"); add one or use snapshot: anonymised");
  auto ok = load(
      "  - {to: police, purpose: public_order, from: {detectors: [fall]}, snapshot: raw, "
      "legal_basis: \"art. 151c Gemeentewet\", retention: 28d}\n");
  EXPECT_TRUE(ok.ok()) << formatErrors(ok.errors);
}

TEST_F(PrivacyPolicyTest, OpenDataIsAggregatesOnlyAndNeverImages) {
  EXPECT_EQ(onlyError("  - {to: public, purpose: open_data, from: {detectors: [fall]}, "
                      "open_data: true}\n"),
            "routes[0].open_data: an open-data route is published unencrypted for anyone, so it "
            "may only carry aggregates: add aggregate: {interval: 15m}");
  const auto with_snapshot = load(
      "  - {to: public, purpose: open_data, from: {detectors: [fall]}, open_data: true, "
      "aggregate: {interval: 15m}, snapshot: anonymised}\n");
  ASSERT_FALSE(with_snapshot.ok());
  EXPECT_NE(formatErrors(with_snapshot.errors).find("routes[0].snapshot: "), std::string::npos)
      << formatErrors(with_snapshot.errors);
  EXPECT_NE(onlyError("  - {to: public, purpose: open_data, from: {detectors: [fall]}, "
                      "open_data: true, aggregate: {interval: 10s}}\n")
                .find("routes[0].aggregate.interval: '10s' is not a duration from 1m to 1d"),
            std::string::npos);
  EXPECT_NE(onlyError("  - {to: ambulance, purpose: emergency_care, from: {measurements: [pm10]}, "
                      "snapshot: anonymised}\n")
                .find("snapshots go with camera detector events"),
            std::string::npos);
  EXPECT_NE(onlyError("  - {to: ambulance, purpose: emergency_care, from: {detectors: [fall]}, "
                      "coordinate_precision_m: 200000}\n")
                .find("at most 100000"),
            std::string::npos);
}

TEST_F(PrivacyPolicyTest, TheRegisterEntrySaysWhoReceivesWhatAndTheAclOpensOnlyOpenData) {
  auto result = load(
      "  - {id: ambulance-falls, to: ambulance, purpose: emergency_care, from: {detectors: "
      "[fall]}, legal_basis: \"GDPR art. 6(1)(d)\", fields: [kind, location], snapshot: "
      "anonymised, coordinate_precision_m: 100}\n"
      "  - {id: falls-per-hour, to: public, purpose: open_data, from: {detectors: [fall]}, "
      "open_data: true, aggregate: {interval: 1h}, retention: 24h}\n");
  ASSERT_TRUE(result.ok()) << formatErrors(result.errors);
  const auto& policy = result.policy->policy;
  const auto entry = registerEntry(policy);
  EXPECT_EQ(entry["contact"], "privacy@gemeente.example");
  ASSERT_EQ(entry["sensors"].size(), 1u);
  EXPECT_EQ(entry["sensors"][0]["type"], "camera");
  EXPECT_EQ(entry["sensors"][0]["privacy_masks"], 1);
  EXPECT_EQ(entry["detectors"][0]["id"], "fall");
  ASSERT_EQ(entry["recipients"].size(), 3u);
  const auto& ambulance = entry["recipients"][0]["routes"][0];
  EXPECT_EQ(ambulance["legal_basis"], "GDPR art. 6(1)(d)");
  EXPECT_EQ(ambulance["retention_on_box"], "72h");
  EXPECT_EQ(ambulance["form"]["coordinate_precision_m"], 100);
  EXPECT_EQ(ambulance["form"]["encrypted"], true);
  EXPECT_TRUE(entry["recipients"][1]["routes"].empty()) << "police receive nothing here";
  const auto& open = entry["recipients"][2]["routes"][0];
  EXPECT_EQ(open["form"]["encrypted"], false);
  EXPECT_EQ(open["published_on"], "lantaarn/v1/plein/public/open-data");
  const std::string md = registerMarkdown(entry);
  EXPECT_NE(md.find("| ambulance (RAV Utrecht) | events of detector fall | emergency_care | GDPR "
                    "art. 6(1)(d) |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| police | nothing |"), std::string::npos) << md;
  EXPECT_NE(md.find("1 privacy mask(s)"), std::string::npos) << md;

  const std::string acl = mosquittoAcl(policy);
  EXPECT_NE(acl.find("pattern read lantaarn/v1/plein/public/open-data\n"), std::string::npos);
  // Anonymous clients' lines come before the first `user` line.
  EXPECT_LT(acl.find("topic read lantaarn/v1/plein/public/open-data\n"), acl.find("\nuser "));
}

}  // namespace
}  // namespace gw::config
