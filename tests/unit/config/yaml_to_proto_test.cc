#include "gateway/config/yaml_to_proto.h"

#include <gtest/gtest.h>

#include "gateway/v1/policy.pb.h"

namespace gw::config {
namespace {

struct Mapped {
  gateway::v1::Policy policy;
  ConfigErrors errors;
  PositionMap positions;
};

Mapped map(const std::string& yaml) {
  Mapped m;
  mapYamlToProto(YAML::Load(yaml), &m.policy, "",
                 YamlMapContext{"t.yaml", &m.errors, &m.positions});
  return m;
}

TEST(YamlToProtoTest, MapsNestedMessagesListsAndEnums) {
  auto m =
      map("site: {id: s, location: {lat: 52.1, lon: 5.1}}\n"
          "detectors:\n  - id: d\n    threshold: {quantity: pm10, above: 50, severity: alarm}\n");
  ASSERT_TRUE(m.errors.empty()) << formatErrors(m.errors);
  EXPECT_DOUBLE_EQ(m.policy.site().location().lat(), 52.1);
  EXPECT_EQ(m.policy.detectors(0).threshold().severity(), gateway::v1::SEVERITY_ALARM);
  EXPECT_EQ(m.positions.at("detectors[0].threshold.above").line, 4);
}

TEST(YamlToProtoTest, FullEnumNamesAreAcceptedToo) {
  auto m = map("detectors:\n  - threshold: {severity: SEVERITY_INFO}\n");
  EXPECT_TRUE(m.errors.empty()) << formatErrors(m.errors);
  EXPECT_EQ(m.policy.detectors(0).threshold().severity(), gateway::v1::SEVERITY_INFO);
}

TEST(YamlToProtoTest, RejectsNonFiniteAndOutOfRangeNumbers) {
  auto m = map("detectors:\n  - threshold: {above: .nan}\ngateway: {max_inflight: -1}\n");
  ASSERT_EQ(m.errors.size(), 2u) << formatErrors(m.errors);
  EXPECT_EQ(m.errors[0].message, "expected a number, found '.nan'");
  EXPECT_EQ(m.errors[1].message, "expected a non-negative integer, found '-1'");
}

TEST(YamlToProtoTest, DuplicateKeyIsAnError) {
  auto m = map("routes:\n  - to: a\n    to: b\n");
  ASSERT_EQ(m.errors.size(), 1u) << formatErrors(m.errors);
  EXPECT_EQ(m.errors[0].toString(), "t.yaml:3:5: routes[0].to: duplicate key 'to'");
}

TEST(YamlToProtoTest, KeyWithoutValueIsAnError) {
  auto m = map("site:\n  id:\n");
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_EQ(m.errors[0].toString(), "t.yaml:2:3: site.id: has no value (expected a string)");
}

TEST(YamlToProtoTest, TopLevelMustBeAMapping) {
  auto m = map("- just\n- a list\n");
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_NE(m.errors[0].message.find("expected a mapping"), std::string::npos);
}

}  // namespace
}  // namespace gw::config
