#include "gateway/config/policy_loader.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "gateway/config/policy_explain.h"
#include "gateway/core/durations.h"
#include "gateway/core/files.h"
#include "gateway/crypto/key_file.h"
#include "gateway/privacy/minimiser.h"
#include "tests/support/temp_dir.h"

namespace gw::config {
namespace {

using gw::testing::TempDir;

// A valid policy; tests break one thing in it at a time. Line numbers below refer to this text.
constexpr const char* kValid = R"(site:
  id: test-site
  name: Test
gateway:
  max_inflight: 10
actors:
  - id: municipality
    public_key_file: keys/municipality.pub
    purposes: [air_quality_monitoring]
  - id: police
    public_key_file: keys/police.pub
    purposes: [public_order]
sources:
  - id: pm
    sensor:
      format: sensor_community_csv
      replay: {path: data.csv, speed: 10}
detectors:
  - id: pm10-limit
    sources: [pm]
    threshold: {quantity: pm10, above: 50}
routes:
  - from: {measurements: [pm10]}
    to: municipality
    purpose: air_quality_monitoring
)";

class PolicyLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* actor : {"municipality", "police"}) {
      ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair(actor), dir_ / "keys").ok());
    }
    std::ofstream(dir_ / "data.csv") << "sensor_id;sensor_type;location;lat;lon;timestamp;P1\n";
  }

  LoadResult load(const std::string& text, const std::string& name = "policy.yaml") {
    std::ofstream(dir_ / name) << text;
    return loadPolicy(dir_ / name);
  }

  // Replaces the first occurrence of `from` in the valid policy.
  static std::string withChange(const std::string& from, const std::string& to) {
    std::string text = kValid;
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  }

  std::string file() const { return (dir_ / "policy.yaml").string(); }

  TempDir dir_;
};

TEST_F(PolicyLoaderTest, ValidPolicyLoadsWithDefaultsAndAbsolutePaths) {
  auto result = load(kValid);
  ASSERT_TRUE(result.ok()) << formatErrors(result.errors);
  const auto& p = result.policy->policy;
  EXPECT_EQ(p.site().id(), "test-site");
  EXPECT_EQ(p.gateway().max_inflight(), 10u);
  EXPECT_EQ(p.gateway().broker().client_id(), "lantaarn-gw-test-site");
  EXPECT_EQ(p.routes(0).id(), "route-0");
  EXPECT_EQ(p.detectors(0).threshold().clear_below(), 50);
  EXPECT_EQ(p.detectors(0).threshold().severity(), gateway::v1::SEVERITY_WARNING);
  EXPECT_EQ(p.sources(0).sensor().format(), gateway::v1::SENSOR_FORMAT_SENSOR_COMMUNITY_CSV);
  EXPECT_EQ(p.sources(0).sensor().replay().path(), (dir_ / "data.csv").string());
}

TEST_F(PolicyLoaderTest, CameraFilesAreFoundNextToThePolicyAndStreamsAreLeftAlone) {
  auto result = load(withChange("detectors:\n",
                                "  - id: cam-file\n"
                                "    camera: {uri: clips/square.mp4}\n"
                                "  - id: cam-rtsp\n"
                                "    camera: {uri: \"rtsp://10.0.0.5/stream1\"}\n"
                                "  - id: cam-device\n"
                                "    camera: {uri: \"v4l2:0\"}\n"
                                "detectors:\n"));
  ASSERT_TRUE(result.ok()) << formatErrors(result.errors);
  const auto& p = result.policy->policy;
  ASSERT_EQ(p.sources_size(), 4);
  EXPECT_EQ(p.sources(1).camera().uri(), (dir_ / "clips/square.mp4").string());
  EXPECT_EQ(p.sources(2).camera().uri(), "rtsp://10.0.0.5/stream1");
  EXPECT_EQ(p.sources(3).camera().uri(), "v4l2:0");
}

struct BadPolicyCase {
  const char* name;
  const char* from;
  const char* to;
  const char* expected;  // the whole error line after the file name
};

void PrintTo(const BadPolicyCase& c, std::ostream* os) { *os << c.name; }

class BadPolicyTest : public PolicyLoaderTest,
                      public ::testing::WithParamInterface<BadPolicyCase> {};

TEST_P(BadPolicyTest, ReportsExactErrorAndPlace) {
  const auto& c = GetParam();
  auto result = load(withChange(c.from, c.to));
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << formatErrors(result.errors);
  std::string expected = file() + c.expected;
  if (size_t at = expected.find("FIELDS"); at != std::string::npos) {
    expected.replace(at, 6, privacy::knownFieldList());
  }
  EXPECT_EQ(result.errors[0].toString(), expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadPolicyTest,
    ::testing::Values(
        BadPolicyCase{"UnknownKey", "  name: Test", "  nmae: Test",
                      ":3:3: site.nmae: unknown key 'nmae' (expected one of: id, name, location, "
                      "operator_contact)"},
        BadPolicyCase{"WrongType", "max_inflight: 10", "max_inflight: many",
                      ":5:17: gateway.max_inflight: expected a non-negative integer, found 'many'"},
        BadPolicyCase{"UnknownEnum", "format: sensor_community_csv", "format: csv",
                      ":16:15: sources[0].sensor.format: unknown value 'csv' (expected one of: "
                      "sensor_community_csv, rws_waterinfo_csv, knmi_hourly_csv, generic_csv, "
                      "json_reading, length_prefixed_protobuf, ttn_v3_uplink, "
                      "sensor_community_push)"},
        BadPolicyCase{"FormatDoesNotFitTransport", "format: sensor_community_csv",
                      "format: ttn_v3_uplink",
                      ":16:15: sources[0].sensor.format: format ttn_v3_uplink cannot arrive over "
                      "this transport (expected: sensor_community_csv, rws_waterinfo_csv, "
                      "knmi_hourly_csv, generic_csv)"},
        BadPolicyCase{
            "BadPort",
            "      format: sensor_community_csv\n      replay: {path: data.csv, speed: 10}",
            "      format: json_reading\n      udp: {port: 70000}",
            ":17:19: sources[0].sensor.udp.port: port must be between 1 and 65535"},
        BadPolicyCase{"BadReplayStart", "speed: 10}", "speed: 10, start: yesterday}",
                      ":17:50: sources[0].sensor.replay.start: 'yesterday' is not a time "
                      "(expected e.g. 2021-07-12T00:00:00Z)"},
        BadPolicyCase{"UndefinedActor", "    to: municipality", "    to: ambulance",
                      ":24:9: routes[0].to: unknown actor 'ambulance' (defined actors: "
                      "municipality, police)"},
        BadPolicyCase{"PurposeNotAuthorised", "    purpose: air_quality_monitoring",
                      "    purpose: public_order",
                      ":25:14: routes[0].purpose: actor 'municipality' is not authorised for "
                      "purpose 'public_order' (its purposes: air_quality_monitoring)"},
        BadPolicyCase{
            "UndefinedSource", "sources: [pm]", "sources: [pm25]",
            ":20:15: detectors[0].sources[0]: unknown source 'pm25' (defined sources: pm)"},
        BadPolicyCase{"DetectorWithoutSources",
                      "    sources: [pm]\n    threshold: {quantity: pm10, above: 50}",
                      "    air_quality: {}",
                      ":19:5: detectors[0].sources: detector 'pm10-limit' has no sources, so it "
                      "would receive nothing; list the source ids that feed it, e.g. sources: "
                      "[my-sensor]"},
        BadPolicyCase{"DuplicateActor", "  - id: police", "  - id: municipality",
                      ":10:9: actors[1].id: duplicate actor id 'municipality'"},
        BadPolicyCase{"NotAList", "purposes: [public_order]", "purposes: public_order",
                      ":12:15: actors[1].purposes: expected a list, found a scalar"},
        BadPolicyCase{"RawSnapshotWithoutLegalBasis", "    purpose: air_quality_monitoring",
                      "    purpose: air_quality_monitoring\n    snapshot: raw",
                      ":26:15: routes[0].snapshot: a raw snapshot leaves the box only with a "
                      "legal_basis (e.g. \"art. 151c Gemeentewet\"); add one or use snapshot: "
                      "anonymised"},
        BadPolicyCase{"BadRate", "    purpose: air_quality_monitoring",
                      "    purpose: air_quality_monitoring\n    rate_limit: lots",
                      ":26:17: routes[0].rate_limit: 'lots' is not a rate (expected N/s, N/min, "
                      "N/h or N/d)"},
        BadPolicyCase{"BadRetention", "    purpose: air_quality_monitoring",
                      "    purpose: air_quality_monitoring\n    retention: forever",
                      ":26:16: routes[0].retention: 'forever' is not a duration (expected e.g. "
                      "72h or 28d)"},
        BadPolicyCase{"UnknownHealthEvent", "from: {measurements: [pm10]}",
                      "from: {health: [camera_offline, detector_stuck]}",
                      ":23:37: routes[0].from.health[1]: unknown health event 'detector_stuck' "
                      "(expected camera_offline, camera_online, detector_crashed, "
                      "detector_disabled or detector_enabled)"},
        BadPolicyCase{"SandboxOnABuiltInInProcess", "    threshold: {quantity: pm10, above: 50}",
                      "    threshold: {quantity: pm10, above: 50}\n    sandbox: {memory_mb: 256}",
                      ":22:14: detectors[0].sandbox: detector 'pm10-limit' runs inside gatewayd "
                      "(isolation: none, the default for built-ins), so a sandbox does not "
                      "apply; set isolation: process"},
        BadPolicyCase{"SandboxReadPathMissing", "    threshold: {quantity: pm10, above: 50}",
                      "    threshold: {quantity: pm10, above: 50}\n    isolation: process\n"
                      "    sandbox: {read_paths: [/nonexistent/model.onnx]}",
                      ":23:28: detectors[0].sandbox.read_paths[0]: no such file or directory: "
                      "/nonexistent/model.onnx"},
        BadPolicyCase{"SandboxReplyTimeoutBelowBudget",
                      "    threshold: {quantity: pm10, above: 50}",
                      "    threshold: {quantity: pm10, above: 50}\n    isolation: process\n"
                      "    budget_ms: 500\n    sandbox: {reply_timeout_ms: 100}",
                      ":24:33: detectors[0].sandbox.reply_timeout_ms: reply_timeout_ms 100 is "
                      "shorter than the time budget (500 ms): a call within budget would be "
                      "ended as hung"},
        BadPolicyCase{"UnknownIsolation", "    threshold: {quantity: pm10, above: 50}",
                      "    threshold: {quantity: pm10, above: 50}\n    isolation: container",
                      ":22:16: detectors[0].isolation: unknown value 'container' (expected one "
                      "of: process, none)"},
        BadPolicyCase{"UnknownTimeZone", "    threshold: {quantity: pm10, above: 50}",
                      "    air_quality: {time_zone: Europe/Atlantis}",
                      ":21:30: detectors[0].air_quality.time_zone: unknown time zone "
                      "'Europe/Atlantis' (no /usr/share/zoneinfo/Europe/Atlantis)"},
        BadPolicyCase{"UnknownLegalBasis", "    threshold: {quantity: pm10, above: 50}",
                      "    air_quality: {legal_basis: 2008/50}",
                      ":21:32: detectors[0].air_quality.legal_basis: '2008/50' is not a legal "
                      "basis (expected 2008/50/EC or 2024/2881)"},
        BadPolicyCase{"UnknownField", "    purpose: air_quality_monitoring",
                      "    purpose: air_quality_monitoring\n    fields: [value, face]",
                      ":26:21: routes[0].fields[1]: unknown field 'face' (known fields: "
                      "FIELDS)"}),
    [](const auto& test_case) { return std::string(test_case.param.name); });

// Every health event the gateway makes can be routed: the camera's, and the detector host's when
// a detector overruns its time budget, when its process ends, and when it is back
// (docs/PLUGINS.md).
TEST_F(PolicyLoaderTest, EveryHealthEventTheGatewayMakesCanBeRouted) {
  auto result = load(withChange("from: {measurements: [pm10]}",
                                "from: {health: [camera_offline, camera_online, detector_crashed, "
                                "detector_disabled, detector_enabled]}"));
  ASSERT_TRUE(result.ok()) << formatErrors(result.errors);
  const auto& health = result.policy->policy.routes(0).from().health();
  EXPECT_EQ(std::vector<std::string>(health.begin(), health.end()),
            (std::vector<std::string>{"camera_offline", "camera_online", "detector_crashed",
                                      "detector_disabled", "detector_enabled"}));
}

// The message embeds the temporary directory, so this case is not in the table.
TEST_F(PolicyLoaderTest, MissingReplayFileNamesTheAbsolutePath) {
  auto result = load(withChange("path: data.csv", "path: missing.csv"));
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].line, 17);
  EXPECT_EQ(result.errors[0].message, "no such file: " + (dir_ / "missing.csv").string());
}

TEST_F(PolicyLoaderTest, MissingPluginIsReportedWithItsResolvedPath) {
  auto result = load(withChange("    threshold: {quantity: pm10, above: 50}",
                                "    plugin: {path: libnope.so, params: {k: v}}"));
  ASSERT_EQ(result.errors.size(), 1u) << formatErrors(result.errors);
  EXPECT_EQ(result.errors[0].line, 21);
  EXPECT_EQ(result.errors[0].message, "no such plugin: " + (dir_ / "libnope.so").string());
}

TEST_F(PolicyLoaderTest, DurationsAndRatesParse) {
  EXPECT_EQ(*parseDurationSeconds("72h"), 72 * 3600);
  EXPECT_EQ(*parseDurationSeconds("28d"), 28 * 86400);
  EXPECT_EQ(*parseDurationSeconds("1.5m"), 90);
  EXPECT_FALSE(parseDurationSeconds("72").has_value());
  EXPECT_FALSE(parseDurationSeconds("-1h").has_value());
  EXPECT_DOUBLE_EQ(*parseRatePerSecond("10/min"), 10.0 / 60);
  EXPECT_FALSE(parseRatePerSecond("10").has_value());
  EXPECT_FALSE(parseRatePerSecond("0/s").has_value());
}

TEST_F(PolicyLoaderTest, BadPublicKeyIsReported) {
  std::ofstream(dir_ / "keys/police.pub")
      << "format: lantaarn-key-v1\ntype: x25519-public\nkey: abc\n";
  auto result = load(kValid);
  ASSERT_EQ(result.errors.size(), 1u) << formatErrors(result.errors);
  EXPECT_EQ(result.errors[0].line, 11);
  EXPECT_EQ(result.errors[0].key_path, "actors[1].public_key_file");
  EXPECT_NE(result.errors[0].message.find("not 32 bytes of base64"), std::string::npos);
}

TEST_F(PolicyLoaderTest, EnvelopeSettingsGetDefaultsAndBadOnesAreReportedWhere) {
  auto ok = load(kValid);
  ASSERT_TRUE(ok.ok()) << formatErrors(ok.errors);
  EXPECT_EQ(ok.policy->policy.gateway().epochs().max_age(), "1h");
  EXPECT_EQ(ok.policy->policy.gateway().epochs().max_messages(), 1'000'000u);
  EXPECT_EQ(ok.policy->policy.gateway().checkpoint_interval(), "1s");

  auto slow = load(withChange("  max_inflight: 10", "  checkpoint_interval: 5s"));
  ASSERT_EQ(slow.errors.size(), 1u) << formatErrors(slow.errors);
  EXPECT_EQ(slow.errors[0].line, 5);
  EXPECT_EQ(slow.errors[0].key_path, "gateway.checkpoint_interval");
  EXPECT_NE(slow.errors[0].message.find("from 10ms to 1s"), std::string::npos)
      << slow.errors[0].message;

  ASSERT_TRUE(crypto::writeIdentityKeyPair(crypto::generateIdentityKey("test-site"), dir_ / "keys",
                                           "gateway")
                  .ok());
  auto with_key = load(withChange("  max_inflight: 10", "  identity_key_file: keys/gateway.key"));
  EXPECT_TRUE(with_key.ok()) << formatErrors(with_key.errors);
  ::chmod((dir_ / "keys/gateway.key").c_str(), 0644);
  auto leaked = load(withChange("  max_inflight: 10", "  identity_key_file: keys/gateway.key"));
  ASSERT_EQ(leaked.errors.size(), 1u) << formatErrors(leaked.errors);
  EXPECT_EQ(leaked.errors[0].line, 5);
  EXPECT_NE(leaked.errors[0].message.find("chmod 600"), std::string::npos);
}

TEST_F(PolicyLoaderTest, AllErrorsAreReportedInOneRun) {
  std::string text = withChange("  name: Test", "  nmae: Test");
  text.replace(text.find("    to: municipality"), 20, "    to: nobody");
  text.replace(text.find("sources: [pm]"), 13, "sources: [xx]");
  auto result = load(text);
  EXPECT_EQ(result.errors.size(), 3u) << formatErrors(result.errors);
}

TEST_F(PolicyLoaderTest, YamlSyntaxErrorHasPosition) {
  auto result = load("site:\n  id: [unclosed\n");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.errors[0].file, file());
  EXPECT_GT(result.errors[0].line, 0);
}

TEST_F(PolicyLoaderTest, DirectoryIsMergedInNameOrderWithPerFilePositions) {
  std::filesystem::create_directory(dir_ / "site.d");
  std::string base = kValid;
  std::ofstream(dir_ / "site.d/00-base.yaml") << base;
  std::filesystem::copy(dir_ / "keys", dir_ / "site.d/keys");
  std::filesystem::copy(dir_ / "data.csv", dir_ / "site.d/data.csv");
  std::ofstream(dir_ / "site.d/10-police.yaml") << "routes:\n"
                                                   "  - id: police-pm\n"
                                                   "    from: {measurements: [pm10]}\n"
                                                   "    to: police\n"
                                                   "    purpose: air_quality_monitoring\n";
  auto result = loadPolicy(dir_ / "site.d");
  ASSERT_EQ(result.errors.size(), 1u) << formatErrors(result.errors);
  EXPECT_EQ(result.errors[0].file, (dir_ / "site.d/10-police.yaml").string());
  EXPECT_EQ(result.errors[0].line, 5);
  EXPECT_EQ(result.errors[0].key_path, "routes[1].purpose");
}

TEST_F(PolicyLoaderTest, EnvironmentVariablesExpandAndUnsetOnesAreErrors) {
  ::setenv("GW_TEST_KEYS", (dir_ / "keys").c_str(), 1);
  auto ok = load(withChange("keys/municipality.pub", "${GW_TEST_KEYS}/municipality.pub"));
  EXPECT_TRUE(ok.ok()) << formatErrors(ok.errors);
  auto bad =
      load(withChange("keys/municipality.pub", "${GW_TEST_UNSET_VARIABLE}/municipality.pub"));
  ASSERT_EQ(bad.errors.size(), 1u) << formatErrors(bad.errors);
  EXPECT_EQ(bad.errors[0].message, "environment variable 'GW_TEST_UNSET_VARIABLE' is not set");
}

TEST_F(PolicyLoaderTest, ExplainOfTheDemoPolicyMatchesTheGoldenText) {
  ASSERT_TRUE(crypto::writeIdentityKeyPair(crypto::generateIdentityKey("demo"), dir_ / "demo-keys",
                                           "gateway")
                  .ok());
  for (const char* actor :
       {"municipality", "public", "police", "ambulance", "rijkswaterstaat", "fire"}) {
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair(actor), dir_ / "demo-keys").ok());
  }
  ::setenv("LANTAARN_KEYS", (dir_ / "demo-keys").c_str(), 1);
  auto result = loadPolicy(gw::testing::sourceDir() / "policies/demo.yaml");
  ASSERT_TRUE(result.ok()) << formatErrors(result.errors);
  auto golden = readFile(gw::testing::testData("golden/demo_policy_explain.txt"));
  ASSERT_TRUE(golden.ok());
  EXPECT_EQ(explainPolicy(result.policy->policy), *golden);
  const std::string police = explainPolicy(result.policy->policy, "police");
  EXPECT_NE(police.find("receives nothing"), std::string::npos);
  EXPECT_EQ(police.find("municipality"), std::string::npos);
}

TEST_F(PolicyLoaderTest, DemoPolicyIsValid) {
  ASSERT_TRUE(crypto::writeIdentityKeyPair(crypto::generateIdentityKey("demo"), dir_ / "demo-keys",
                                           "gateway")
                  .ok());
  for (const char* actor :
       {"municipality", "public", "police", "ambulance", "rijkswaterstaat", "fire"}) {
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair(actor), dir_ / "demo-keys").ok());
  }
  ::setenv("LANTAARN_KEYS", (dir_ / "demo-keys").c_str(), 1);
  auto result = loadPolicy(gw::testing::sourceDir() / "policies/demo.yaml");
  EXPECT_TRUE(result.ok()) << formatErrors(result.errors);
}

}  // namespace
}  // namespace gw::config
