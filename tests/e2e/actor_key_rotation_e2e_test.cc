// Rotating an actor's key without downtime (issue 23; docs/KEYS.md "Rotating an actor's key"), on
// real components: gatewayd replays real Sensor.Community readings through the TLS broker of
// lantaarn-actor's fixture, as site og12's gateway, to the ambulance sealed to key A; the
// lantaarn-actor binary holds keys A and B (key_file + previous_key_files); `gatewayctl
// subscribe` holds A alone. Then the policy is rewritten with B's public key and gatewayd gets
// SIGHUP while the readings keep coming.
#include <csignal>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>

#include "gateway/crypto/envelope_format.h"
#include "tests/e2e/actor_service_fixture.h"
#include "tests/support/child_process.h"
#include "tests/support/http_get.h"

namespace gw::actor_service {
namespace {

using gw::testing::ChildProcess;
using nlohmann::json;

const fs::path kPmFile =
    gw::testing::testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv");

// The file's PM10 values (column 7) in file order, split with plain string code.
std::vector<double> filePm10() {
  std::vector<double> values;
  std::istringstream in(slurp(kPmFile));
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, ';');) cells.push_back(cell);
    if (cells.size() > 6 && !cells[6].empty()) values.push_back(std::stod(cells[6]));
  }
  return values;
}

// Every complete JSON line of `text`.
std::vector<json> jsonLines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

// One sample of a Prometheus text page; 0 when it is not there.
uint64_t metric(const std::string& page, const std::string& sample) {
  const auto at = page.find("\n" + sample + " ");
  if (at == std::string::npos) return 0;
  return std::stoull(page.substr(at + sample.size() + 2));
}

// A KEY or CHECKPOINT envelope as the broker carried it.
struct Control {
  gateway::v1::EnvelopeHeader header;
  bool final_checkpoint = false;
};

class ActorKeyRotationE2eTest : public ActorServiceE2eTest {
 protected:
  ActorKeyRotationE2eTest() {
    EXPECT_TRUE(crypto::writeKeyPair(rotated_, dir_.path() / "keys-new").ok());
    const fs::path password = dir_.path() / "gateway.password";
    std::ofstream(password) << kGatewayPassword << "\n";
    fs::permissions(password, fs::perms::owner_read | fs::perms::owner_write);
  }

  // gatewayd's policy: site og12 (the fixture's gateway identity and broker account), the
  // ambulance's public key from `public_key_file`, its PM10 readings replayed in a loop.
  std::string policy(const fs::path& public_key_file) const {
    const fs::path dir = dir_.path();
    return "gateway:\n"
           "  identity_key_file: " +
           (dir / "gateway-box" / "og12.key").string() +
           "\n"
           "  backlog_batching: {mode: off}\n"
           "  broker: {url: \"" +
           broker_->url() +
           "\", username: lantaarn-gw-og12, password_file: " + (dir / "gateway.password").string() +
           ", tls: {ca_file: " + pki_.caCert().string() +
           "}}\n"
           "site: {id: og12}\n"
           "actors:\n"
           "  - {id: ambulance, public_key_file: " +
           public_key_file.string() +
           ", purposes: [emergency_response]}\n"
           "sources:\n"
           "  - id: pm\n"
           "    sensor: {format: sensor_community_csv, replay: {path: " +
           kPmFile.string() +
           ", speed: 3000, loop: true}}\n"
           "routes:\n"
           "  - {to: ambulance, purpose: emergency_response, from: {measurements: [pm10]}}\n";
  }

  // lantaarn-actor in the middle of a rotation: key_file is the new key, the old one is kept.
  fs::path actorConfig() const {
    fs::path yaml = dir_.path() / "actor.yaml";
    std::ofstream(yaml) << "actor: ambulance\nsite: og12\n"
                        << "key_file: keys-new/ambulance.key\n"
                        << "previous_key_files: [keys/ambulance.key]\n"
                        << "gateway_keys: [gateways]\n"
                        << "broker:\n  url: " << broker_->url()
                        << "\n  client_id: ambulance-control-room\n  username: ambulance\n"
                        << "  password_file: broker.password\n  tls: {ca_file: "
                        << pki_.caCert().string() << "}\n"
                        << "state_dir: state\nlisten: 127.0.0.1:0\n"
                        << "sinks:\n  - name: archive\n    json_lines: {path: archive.jsonl}\n";
    return yaml;
  }

  size_t archived() const { return jsonLines(slurp(dir_.path() / "archive.jsonl")).size(); }

  crypto::SecretKey rotated_ = crypto::generateKeyPair("ambulance");  // key B; the fixture's is A
};

TEST_F(ActorKeyRotationE2eTest, AnActorHoldingBothKeysReadsOnAcrossAReloadWithANewKey) {
  const fs::path dir = dir_.path();
  ChildProcess actor(
      {{gw::testing::appBinary("lantaarn-actor"), "--config", actorConfig().string()},
       {},
       dir / "actor.out",
       dir / "actor.err"});
  // The match points into the text it was made on: keep that text alive beside it.
  std::string log;
  std::smatch health;
  const std::regex health_url("health=http://127\\.0\\.0\\.1:([0-9]+)/healthz");
  ASSERT_TRUE(waitUntil(
      [&] {
        log = actor.readStderr();
        return std::regex_search(log, health, health_url);
      },
      std::chrono::seconds(20)))
      << actor.readStderr();
  const auto health_port = static_cast<uint16_t>(std::stoi(health[1].str()));
  EXPECT_NE(actor.readStderr().find("previous_key_ids=" + ambulance_.key_id), std::string::npos);

  ChildProcess old_key(
      {{gw::testing::appBinary("gatewayctl"), "subscribe", "--broker", broker_->url(), "--site",
        "og12", "--actor", "ambulance", "--key", (dir / "keys" / "ambulance.key").string(),
        "--gateway-key", pinnedKeyFile(), "--username", "ambulance", "--password-file",
        (dir / "broker.password").string(), "--tls-ca", pki_.caCert().string(), "--envelope"},
       {},
       dir / "old.out",
       dir / "old.err"});
  ASSERT_TRUE(
      waitUntil([&] { return old_key.readStderr().find("subscribed") != std::string::npos; },
                std::chrono::seconds(15)))
      << old_key.readStderr();

  // What the broker carries on the ambulance's key and checkpoint topics, as its operator sees.
  std::mutex observed_mutex;
  std::vector<Control> observed;
  mqtt::async_client observer(broker_->url(), "rotation-observer");
  observer.set_message_callback([&](const mqtt::const_message_ptr& m) {
    auto parsed = crypto::parseEnvelope(m->get_payload_str());
    if (!parsed.ok()) return;
    Control c{parsed->header, false};
    gateway::v1::Checkpoint checkpoint;
    if (parsed->header.kind() == gateway::v1::ENVELOPE_KIND_CHECKPOINT &&
        checkpoint.ParseFromString(parsed->envelope.body())) {
      c.final_checkpoint = checkpoint.final();
    }
    std::lock_guard lock(observed_mutex);
    observed.push_back(std::move(c));
  });
  observer
      .connect(mqtt::connect_options_builder()
                   .user_name("ambulance")
                   .password(kActorPassword)
                   .ssl(mqtt::ssl_options_builder().trust_store(pki_.caCert().string()).finalize())
                   .finalize())
      ->wait();
  observer.subscribe(pipeline::actorTopic(kSite, "ambulance", "key"), 1)->wait();
  observer.subscribe(pipeline::actorTopic(kSite, "ambulance", "checkpoint"), 1)->wait();

  const fs::path policy_file = dir / "policy.yaml";
  std::ofstream(policy_file) << policy(dir / "keys" / "ambulance.pub");
  ChildProcess gatewayd({{gw::testing::appBinary("gatewayd"), "--policy", policy_file.string(),
                          "--state-dir", (dir / "gw-state").string()},
                         {},
                         dir / "gatewayd.out",
                         dir / "gatewayd.err"});
  ASSERT_TRUE(waitUntil([&] { return archived() >= 40; }, std::chrono::seconds(60)))
      << gatewayd.readStderr() << actor.readStderr();

  // The rollout: the same policy with the ambulance's new public key, and SIGHUP.
  std::ofstream(policy_file) << policy(dir / "keys-new" / "ambulance.pub");
  gatewayd.signal(SIGHUP);
  ASSERT_TRUE(waitUntil(
      [&] { return gatewayd.readStderr().find("Policy reloaded version=2") != std::string::npos; },
      std::chrono::seconds(10)))
      << gatewayd.readStderr();
  const size_t at_reload = archived();
  ASSERT_TRUE(waitUntil([&] { return archived() >= at_reload + 60; }, std::chrono::seconds(60)))
      << actor.readStderr();
  gatewayd.signal(SIGTERM);  // it flushes what it accepted, with a last checkpoint
  auto gatewayd_status = gatewayd.wait(std::chrono::seconds(30));
  ASSERT_TRUE(gatewayd_status);
  EXPECT_EQ(ChildProcess::exitCode(*gatewayd_status), 0) << gatewayd.readStderr();

  // What gatewayd sealed for the ambulance, by kind, from the counters it logs at exit.
  std::map<std::string, uint64_t> sealed;
  uint64_t sealed_total = 0;
  const std::string gw_log = gatewayd.readStderr();
  const std::regex sealed_line(
      "Counter envelopes_sealed_total\\{actor=\"ambulance\",kind=\"([a-z]+)\"\\} ([0-9]+)");
  for (std::sregex_iterator it(gw_log.begin(), gw_log.end(), sealed_line), end; it != end; ++it) {
    sealed[(*it)[1].str()] = std::stoull((*it)[2].str());
    sealed_total += std::stoull((*it)[2].str());
  }
  ASSERT_GT(sealed["measurement"], 0u) << gw_log;

  // lantaarn-actor has read every one of them and its sink has delivered every message.
  std::string page;
  ASSERT_TRUE(waitUntil(
      [&] {
        auto metrics = gw::testing::httpGet(health_port, "/metrics");
        if (!metrics) return false;
        page = "\n" + metrics->body;
        const uint64_t verified = metric(page, "lantaarn_actor_messages_verified_total");
        return metric(page, "lantaarn_actor_envelopes_received_total") >= sealed_total &&
               metric(page, "lantaarn_actor_sink_delivered_total{sink=\"archive\"}") == verified;
      },
      std::chrono::seconds(30)))
      << sealed_total << " sealed\n"
      << page;
  observer.disconnect()->wait();

  // The switch as the broker carried it: the old epoch's final checkpoint, addressed to A, and
  // directly after it the KEY of a new epoch, sealed to B because the key changed.
  std::vector<Control> keys;
  for (const auto& c : observed) {
    if (c.header.kind() == gateway::v1::ENVELOPE_KIND_KEY) keys.push_back(c);
  }
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].header.recipient_key_id(), ambulance_.key_id);
  EXPECT_EQ(keys[1].header.recipient_key_id(), rotated_.key_id);
  EXPECT_EQ(keys[1].header.epoch_start(), gateway::v1::EPOCH_START_KEY_CHANGED);
  EXPECT_GT(keys[1].header.epoch(), keys[0].header.epoch());
  const uint64_t switch_at = keys[1].header.sequence();
  const uint64_t new_epoch = keys[1].header.epoch();
  bool closed = false;
  for (const auto& c : observed) {
    if (c.header.sequence() == switch_at - 1) {
      closed = c.final_checkpoint && c.header.recipient_key_id() == ambulance_.key_id;
    }
  }
  EXPECT_TRUE(closed) << "no final checkpoint for the old key right before the switch";

  // The subscriber holding only A has seen the whole stream too (a stream that starts at 1:
  // sequences 1 .. switch_at - 1 came before the switch, the rest after it).
  ASSERT_EQ(keys[0].header.sequence(), 1u);
  const uint64_t after_switch = sealed_total - (switch_at - 1);
  ASSERT_TRUE(waitUntil(
      [&] {
        const std::string err = old_key.readStderr();
        uint64_t refused = 0;
        for (auto at = err.find("\"rejected\":"); at != std::string::npos;
             at = err.find("\"rejected\":", at + 1)) {
          ++refused;
        }
        return refused >= after_switch;
      },
      std::chrono::seconds(20)))
      << after_switch << " envelopes after the switch\n"
      << old_key.readStderr().substr(0, 4000);
  for (ChildProcess* child : {&old_key, &actor}) {
    child->signal(SIGTERM);
    auto status = child->wait(std::chrono::seconds(20));
    ASSERT_TRUE(status);
    EXPECT_EQ(ChildProcess::exitCode(*status), 0) << child->readStderr();
  }

  // lantaarn-actor (A and B): every reading of the file in order, cycling, across the switch;
  // no gap, no loss, nothing refused.
  const auto archive = jsonLines(slurp(dir / "archive.jsonl"));
  const std::vector<double> file = filePm10();
  size_t before_switch = 0;
  std::set<uint64_t> sequences_before;
  for (size_t i = 0; i < archive.size(); ++i) {
    const json& line = archive[i];
    ASSERT_DOUBLE_EQ(line["message"]["measurement"]["value"].get<double>(), file[i % file.size()])
        << "reading " << i << " of " << archive.size();
    const auto sequence = line["sequence"].get<uint64_t>();
    if (i > 0) {
      EXPECT_GT(sequence, archive[i - 1]["sequence"].get<uint64_t>());
    }
    if (sequence < switch_at) {
      ++before_switch;
      sequences_before.insert(sequence);
      EXPECT_LT(line["epoch"].get<uint64_t>(), new_epoch);
    } else {
      EXPECT_GE(line["epoch"].get<uint64_t>(), new_epoch);
    }
  }
  EXPECT_GE(before_switch, 40u);
  EXPECT_GE(archive.size() - before_switch, 60u);
  EXPECT_EQ(archive.size(), sealed["measurement"]);
  EXPECT_EQ(metric(page, "lantaarn_actor_messages_verified_total"), archive.size());
  EXPECT_EQ(metric(page, "lantaarn_actor_envelopes_received_total"),
            sealed_total + metric(page, "lantaarn_actor_envelopes_duplicate_total"));
  EXPECT_EQ(metric(page, "lantaarn_actor_epoch_keys_total"), 2u);
  EXPECT_EQ(page.find("lantaarn_actor_envelopes_rejected_total"), std::string::npos) << page;
  EXPECT_EQ(page.find("lantaarn_actor_missing_sequences_total"), std::string::npos) << page;
  for (const char* report :
       {"gap", "unaccounted", "checkpoint_incomplete", "checkpoint_mismatch"}) {
    EXPECT_EQ(metric(page, "lantaarn_actor_reports_total{type=\"" + std::string(report) + "\"}"),
              0u)
        << report << "\n"
        << page;
  }
  // Both epochs proven complete: the old one by its final checkpoint, the new one at the stop.
  EXPECT_GE(metric(page, "lantaarn_actor_reports_total{type=\"checkpoint_verified\"}"), 2u);

  // The subscriber holding only A: exactly the messages sealed before the switch; everything
  // after it refused as addressed to another key, never opened.
  std::set<uint64_t> old_key_read;
  for (const auto& line : jsonLines(old_key.readStdout())) {
    old_key_read.insert(line["sequence"].get<uint64_t>());
  }
  EXPECT_EQ(old_key_read, sequences_before);
  const auto err = jsonLines(old_key.readStderr());
  ASSERT_FALSE(err.empty());
  const json& summary = err.back();
  ASSERT_EQ(summary["report"], "summary") << old_key.readStderr();
  EXPECT_EQ(summary["received"], before_switch);
  EXPECT_EQ(summary["gaps"], 0);
  ASSERT_TRUE(summary.contains("rejected_by_code")) << summary.dump();
  EXPECT_EQ(summary["rejected_by_code"].size(), 1u) << summary.dump();
  // The new KEY, every DATA after the switch, and the checkpoints of the new epoch.
  EXPECT_GE(summary["rejected_by_code"]["wrong_recipient"].get<uint64_t>(), after_switch);
  for (const auto& line : err) {
    if (!line.contains("rejected") || line.contains("report")) continue;  // not the summary
    EXPECT_EQ(line["rejected"], "wrong_recipient") << line.dump();
    EXPECT_GE(line["sequence"].get<uint64_t>(), switch_at) << line.dump();
  }
}

// Two names for one key would hide that the rotation's other key is missing: refused at start.
TEST_F(ActorKeyRotationE2eTest, AKeyListedTwiceIsRefusedAtStart) {
  fs::copy_file(dir_.path() / "keys" / "ambulance.key", dir_.path() / "copy.key");
  ServiceConfig c = config();
  c.previous_key_files = {(dir_.path() / "copy.key").string()};
  auto service = ActorService::create(c);
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.status().message().find("holds the same key"), std::string::npos)
      << service.status().toString();
}

}  // namespace
}  // namespace gw::actor_service
