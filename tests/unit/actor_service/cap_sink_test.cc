// CAP 1.2 from events: every alert the sink writes validates against the OASIS schema
// (xmllint), and an incident's alert, update and all-clear form one referenced chain that
// survives a restart of the sink.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/actor_service/sinks/cap_sink.h"
#include "tests/support/temp_dir.h"

namespace gw::actor_service {
namespace {

namespace fs = std::filesystem;

const fs::path kSchema = fs::path(GW_SOURCE_DIR) / "tests/data/schemas/cap-1.2.xsd";

gateway::v1::SpooledMessage eventMessage(uint64_t sequence, const std::string& kind,
                                         gateway::v1::Severity severity) {
  gateway::v1::SpooledMessage m;
  m.set_gateway_key_id("029d0799e64e1f0f");
  m.set_epoch(3);
  m.set_sequence(sequence);
  m.set_sent_unix_ms(1'796'112'903'980);
  auto* msg = m.mutable_message();
  msg->set_site_id("og12");
  msg->set_actor_id("ambulance");
  msg->set_purpose("emergency_response");
  msg->set_produced_unix_ms(1'796'112'903'000 + static_cast<int64_t>(sequence) * 1000);
  auto* e = msg->mutable_event();
  e->set_detector_id("square_falls");
  e->set_kind(kind);
  e->set_severity(severity);
  e->set_source_id("cam-square");
  e->set_summary("Person fell & lies still <for 20 s>");  // escaped in the XML
  e->set_confidence(0.87);
  e->mutable_location()->set_lat(52.0907);
  e->mutable_location()->set_lon(5.1214);
  e->set_observed_unix_ms(1'796'112'900'000);
  return m;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// xmllint's verdict on one file against the CAP 1.2 schema.
bool validates(const fs::path& file, std::string* output) {
  const fs::path log = file.string() + ".xmllint";
  const std::string command = "xmllint --noout --schema '" + kSchema.string() + "' '" +
                              file.string() + "' > '" + log.string() + "' 2>&1";
  const int rc = std::system(command.c_str());
  *output = slurp(log);
  return rc == 0;
}

class CapSinkTest : public ::testing::Test {
 protected:
  CapSinkOptions options() const {
    CapSinkOptions o;
    o.directory = dir_.path() / "alerts";
    o.state_file = dir_.path() / "cap.incidents";
    return o;
  }
  std::string alertFile(uint64_t sequence) const {
    return (dir_.path() / "alerts" /
            ("lantaarn-029d0799e64e1f0f-ambulance-" + std::to_string(sequence) + ".xml"))
        .string();
  }
  testing::TempDir dir_;
};

TEST_F(CapSinkTest, AlertUpdateAndCancelValidateAndReferenceTheFirstAlert) {
  ASSERT_EQ(std::system("xmllint --version > /dev/null 2>&1"), 0)
      << "xmllint missing (Debian package libxml2-utils; deploy/install-deps.sh installs it)";
  {
    CapSink sink(options());
    EXPECT_EQ(sink.deliver(eventMessage(10, "fall", gateway::v1::SEVERITY_ALARM)).result,
              DeliveryOutcome::Result::kDelivered);
    EXPECT_EQ(sink.openIncidents(), 1u);
  }
  // A restart of the sink in the middle of the incident keeps the chain.
  CapSink sink(options());
  EXPECT_EQ(sink.deliver(eventMessage(11, "fall", gateway::v1::SEVERITY_ALARM)).result,
            DeliveryOutcome::Result::kDelivered);
  EXPECT_EQ(sink.deliver(eventMessage(12, "fall_cleared", gateway::v1::SEVERITY_INFO)).result,
            DeliveryOutcome::Result::kDelivered);
  EXPECT_EQ(sink.openIncidents(), 0u);

  const std::string first = slurp(alertFile(10));
  const std::string update = slurp(alertFile(11));
  const std::string cancel = slurp(alertFile(12));
  for (uint64_t sequence : {10, 11, 12}) {
    std::string output;
    EXPECT_TRUE(validates(alertFile(sequence), &output)) << output;
  }
  EXPECT_NE(first.find("<msgType>Alert</msgType>"), std::string::npos);
  EXPECT_NE(first.find("<scope>Restricted</scope>"), std::string::npos);
  EXPECT_NE(first.find("<restriction>for ambulance only"), std::string::npos);
  EXPECT_NE(first.find("<category>Rescue</category>"), std::string::npos);
  EXPECT_NE(first.find("<urgency>Immediate</urgency>"), std::string::npos);
  EXPECT_NE(first.find("<circle>52.0907,5.1214 0.05</circle>"), std::string::npos);
  EXPECT_NE(first.find("&amp; lies still &lt;for 20 s&gt;"), std::string::npos);
  EXPECT_NE(first.find("<sent>2026-12-01T"), std::string::npos);
  EXPECT_NE(first.find("+00:00</sent>"), std::string::npos);  // CAP forbids "Z"
  EXPECT_EQ(first.find("<references>"), std::string::npos);

  const std::string reference = "<references>lantaarn@og12,lantaarn-029d0799e64e1f0f-ambulance-10,";
  EXPECT_NE(update.find("<msgType>Update</msgType>"), std::string::npos);
  EXPECT_NE(update.find(reference), std::string::npos) << update;
  EXPECT_NE(cancel.find("<msgType>Cancel</msgType>"), std::string::npos);
  EXPECT_NE(cancel.find(reference), std::string::npos) << cancel;
  EXPECT_NE(cancel.find("<responseType>AllClear</responseType>"), std::string::npos);
}

TEST_F(CapSinkTest, AnAlertTheSchemaRefusesIsCaughtByTheValidation) {
  // The validation itself can fail: a CAP alert without its required <scope>.
  CapSink sink(options());
  ASSERT_EQ(sink.deliver(eventMessage(20, "water_alarm", gateway::v1::SEVERITY_ALARM)).result,
            DeliveryOutcome::Result::kDelivered);
  std::string xml = slurp(alertFile(20));
  std::string output;
  EXPECT_TRUE(validates(alertFile(20), &output)) << output;
  const auto scope = xml.find("  <scope>Restricted</scope>\n");
  ASSERT_NE(scope, std::string::npos);
  xml.erase(scope, std::string("  <scope>Restricted</scope>\n").size());
  const fs::path broken = dir_.path() / "broken.xml";
  std::ofstream(broken) << xml;
  EXPECT_FALSE(validates(broken, &output));
}

TEST_F(CapSinkTest, ReadingsHealthAndAnAllClearWithoutAnIncidentMakeNoAlert) {
  CapSink sink(options());
  gateway::v1::SpooledMessage reading;
  reading.mutable_message()->mutable_measurement()->set_quantity("pm10");
  EXPECT_EQ(sink.deliver(reading).result, DeliveryOutcome::Result::kDelivered);
  EXPECT_EQ(sink.deliver(eventMessage(30, "camera_offline", gateway::v1::SEVERITY_WARNING)).result,
            DeliveryOutcome::Result::kDelivered);
  EXPECT_EQ(sink.deliver(eventMessage(31, "threshold_cleared", gateway::v1::SEVERITY_INFO)).result,
            DeliveryOutcome::Result::kDelivered);
  EXPECT_FALSE(fs::exists(dir_.path() / "alerts"));
}

}  // namespace
}  // namespace gw::actor_service
