// lantaarn-actor end to end on real components: a real Mosquitto with TLS, allow_anonymous
// false, a password file and the ACL `gatewayctl acl export` writes; envelopes sealed by the
// gateway's own sealer and published as gatewayd publishes them; a real HTTP server as the
// actor's webhook receiver, taken down and brought back; CAP alerts validated by xmllint; the
// service restarted, in process and as the lantaarn-actor binary.
#include <csignal>
#include <thread>

#include "tests/e2e/actor_service_fixture.h"
#include "tests/support/child_process.h"
#include "tests/support/http_get.h"

namespace gw::actor_service {
namespace {

// Sends `count` messages (KEY first, then readings and events alternating) and a checkpoint;
// returns the idempotency keys of the DATA envelopes.
std::set<std::string> sendMany(FakeSite& site, int from, int count) {
  std::set<std::string> keys;
  for (int i = from; i < from + count; ++i) {
    for (const auto& e : site.send(i)) {
      if (e.kind == gateway::v1::ENVELOPE_KIND_DATA) {
        keys.insert(site.identity().key_id + "-ambulance-" + std::to_string(e.sequence));
      }
    }
  }
  site.checkpoint();
  return keys;
}

TEST_F(ActorServiceE2eTest, SecuredSubscriptionDeliversToEverySinkWithHealthAndMetrics) {
  auto service = ActorService::create(config());
  ASSERT_TRUE(service.ok()) << service.status().toString();
  ASSERT_TRUE((*service)->start().ok());
  const auto keys = sendMany(*site_, 0, 20);
  ASSERT_TRUE(
      waitUntil([&] { return webhookKeys().size() >= keys.size(); }, std::chrono::seconds(20)))
      << webhookKeys().size() << " of " << keys.size();
  EXPECT_EQ(webhookKeys(), keys);
  EXPECT_EQ(receiver_.count(), keys.size());  // exactly once
  const auto request = receiver_.requests().front();
  EXPECT_EQ(request.target, "/lantaarn");
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  EXPECT_NE(request.body.find("\"actor_id\":\"ambulance\""), std::string::npos);
  ASSERT_TRUE(waitUntil(
      [&] { return counter(**service, "reports_total{type=\"checkpoint_verified\"}") == 1; },
      std::chrono::seconds(10)));

  // CAP: one alert per event (10 events, all different cameras: 10 incidents), all valid. Only
  // the finished *.xml files: each is written as *.xml.tmp and renamed.
  auto alerts = [&] {
    std::vector<fs::path> xml;
    if (!fs::exists(dir_.path() / "cap")) return xml;
    for (const auto& entry : fs::directory_iterator(dir_.path() / "cap")) {
      if (entry.path().extension() == ".xml") xml.push_back(entry.path());
    }
    return xml;
  };
  ASSERT_TRUE(waitUntil([&] { return alerts().size() == 10; }, std::chrono::seconds(10)));
  for (const auto& alert : alerts()) {
    const std::string command = "xmllint --noout --schema '" + std::string(GW_SOURCE_DIR) +
                                "/tests/data/schemas/cap-1.2.xsd' '" + alert.string() +
                                "' 2>/dev/null";
    EXPECT_EQ(std::system(command.c_str()), 0) << slurp(alert);
  }
  // The archive has every message as a JSON line.
  ASSERT_TRUE(waitUntil(
      [&] {
        const std::string text = slurp(dir_.path() / "archive.jsonl");
        return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) == keys.size();
      },
      std::chrono::seconds(10)));

  const uint16_t port = (*service)->healthPort();
  auto health = gw::testing::httpGet(port, "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << health->body;
  auto metrics = gw::testing::httpGet(port, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("lantaarn_actor_messages_verified_total 20"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("lantaarn_actor_sink_delivered_total{sink=\"dispatch\"} 20"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("lantaarn_actor_sink_backlog{sink=\"dispatch\"} 0"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("lantaarn_actor_broker_connected 1"), std::string::npos);
  EXPECT_EQ(counter(**service, "envelopes_rejected_total{code=\"wrong_gateway\"}"), 0u);
  (*service)->stop();
}

// The receiving system is down for `outage`: messages wait in the spool, /healthz says so, and
// every one of them arrives once it is back.
void webhookOutage(ActorServiceE2eTest& t, FakeSite& site, HttpReceiver& receiver,
                   ActorService& service, std::chrono::seconds outage) {
  auto before = sendMany(site, 0, 10);
  ASSERT_TRUE(
      waitUntil([&] { return receiver.count() >= before.size(); }, std::chrono::seconds(20)));
  receiver.stop();
  auto during = sendMany(site, 10, 100);
  const auto until = std::chrono::steady_clock::now() + outage;
  // Messages keep coming while it is down.
  for (int i = 110; std::chrono::steady_clock::now() < until; i += 10) {
    auto more = sendMany(site, i, 10);
    during.insert(more.begin(), more.end());
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  auto health = gw::testing::httpGet(service.healthPort(), "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_NE(health->body.find("sink dispatch down"), std::string::npos) << health->body;
  receiver.start();
  before.insert(during.begin(), during.end());
  ASSERT_TRUE(
      waitUntil([&] { return receiver.count() >= before.size(); }, std::chrono::seconds(60)))
      << receiver.count() << " of " << before.size();
  std::set<std::string> got;
  for (const auto& r : receiver.requests()) got.insert(r.headers.at("idempotency-key"));
  EXPECT_EQ(got, before);
  EXPECT_EQ(receiver.count(), before.size());
  (void)t;
}

TEST_F(ActorServiceE2eTest, AWebhookDownForSecondsGetsEveryMessageAfterwards) {
  auto service = ActorService::create(config());
  ASSERT_TRUE(service.ok()) << service.status().toString();
  ASSERT_TRUE((*service)->start().ok());
  webhookOutage(*this, *site_, receiver_, **service, std::chrono::seconds(5));
  (*service)->stop();
}

// The figure: two minutes down. Labelled slow (it mostly waits).
TEST_F(ActorServiceE2eTest, SlowAWebhookDownForTwoMinutesGetsEveryMessageAfterwards) {
  auto service = ActorService::create(config());
  ASSERT_TRUE(service.ok()) << service.status().toString();
  ASSERT_TRUE((*service)->start().ok());
  webhookOutage(*this, *site_, receiver_, **service, std::chrono::seconds(120));
  (*service)->stop();
}

TEST_F(ActorServiceE2eTest, ARestartedServiceRefusesReplaysAndReportsNoFalseGap) {
  std::vector<crypto::SealedEnvelope> sent;
  {
    auto service = ActorService::create(config());
    ASSERT_TRUE(service.ok()) << service.status().toString();
    ASSERT_TRUE((*service)->start().ok());
    for (int i = 0; i < 10; ++i) {
      auto e = site_->send(i);
      sent.insert(sent.end(), e.begin(), e.end());
    }
    ASSERT_TRUE(waitUntil([&] { return receiver_.count() == 10; }, std::chrono::seconds(20)));
    (*service)->stop();
  }
  auto service = ActorService::create(config());
  ASSERT_TRUE(service.ok()) << service.status().toString();
  ASSERT_TRUE((*service)->start().ok());
  // An attacker with broker access replays what was already delivered...
  for (size_t i = 1; i < sent.size(); ++i) site_->publish(sent[i]);
  // ... and the gateway goes on.
  const auto later = sendMany(*site_, 10, 5);
  ASSERT_TRUE(waitUntil([&] { return receiver_.count() >= 15; }, std::chrono::seconds(20)));
  ASSERT_TRUE(waitUntil(
      [&] { return counter(**service, "reports_total{type=\"checkpoint_verified\"}") == 1; },
      std::chrono::seconds(10)));
  EXPECT_EQ(receiver_.count(), 15u);  // not one replay delivered again
  // The ten replays, and the retained KEY the broker hands the subscription again.
  EXPECT_EQ(counter(**service, "envelopes_duplicate_total"), sent.size());
  EXPECT_EQ(counter(**service, "reports_total{type=\"gap\"}"), 0u);
  (*service)->stop();
}

// The broker restarted without persistence while the service was down: its session is gone, and
// the service says so at start (the subscriber alone could not tell it from a first start).
TEST_F(ActorServiceE2eTest, ASessionLostWhileTheServiceWasDownIsReportedAtStart) {
  {
    auto service = ActorService::create(config());
    ASSERT_TRUE(service.ok()) << service.status().toString();
    ASSERT_TRUE((*service)->start().ok());
    EXPECT_EQ(counter(**service, "notices_total{type=\"session_lost\"}"), 0u);  // a first start
    (*service)->stop();
  }
  {
    auto service = ActorService::create(config());
    ASSERT_TRUE(service.ok());
    ASSERT_TRUE((*service)->start().ok());
    EXPECT_EQ(counter(**service, "notices_total{type=\"session_lost\"}"), 0u);  // kept
    (*service)->stop();
  }
  site_.reset();  // its connection would not survive the restart
  broker_->stop();
  broker_->start();
  auto service = ActorService::create(config());
  ASSERT_TRUE(service.ok());
  ASSERT_TRUE((*service)->start().ok());
  EXPECT_EQ(counter(**service, "notices_total{type=\"session_lost\"}"), 1u);
  (*service)->stop();
}

// One service for two sites (`site: +`, a directory of pinned gateway keys): each gateway is
// accepted for its own site and both streams reach the sink. (A gateway speaking for another
// site is refused by the receiver: vectors_test's wrong_site case.)
TEST_F(ActorServiceE2eTest, OneServiceServesTwoPinnedSitesEachForItsOwnSite) {
  FakeSite og13(broker_->url(),
                mqtt::ssl_options_builder().trust_store(pki_.caCert().string()).finalize(),
                crypto::publicHalf(ambulance_), "og13");
  ASSERT_TRUE(
      crypto::writeIdentityKeyPair(og13.identity(), dir_.path() / "gateway-box-13", "og13").ok());
  fs::copy_file(dir_.path() / "gateway-box-13" / "og13.pub", dir_.path() / "gateways" / "og13.pub");
  ServiceConfig c = config();
  c.site = "+";
  c.gateway_keys = {(dir_.path() / "gateways").string()};
  auto service = ActorService::create(c);
  ASSERT_TRUE(service.ok()) << service.status().toString();
  ASSERT_TRUE((*service)->start().ok());
  auto keys = sendMany(*site_, 0, 4);
  for (int i = 0; i < 4; ++i) {
    for (const auto& e : og13.send(i)) {
      if (e.kind == gateway::v1::ENVELOPE_KIND_DATA) {
        keys.insert(og13.identity().key_id + "-ambulance-" + std::to_string(e.sequence));
      }
    }
  }
  ASSERT_TRUE(
      waitUntil([&] { return webhookKeys().size() >= keys.size(); }, std::chrono::seconds(20)))
      << webhookKeys().size() << " of " << keys.size();
  EXPECT_EQ(webhookKeys(), keys);
  std::set<std::string> sites;
  for (const auto& r : receiver_.requests()) {
    sites.insert(r.body.find("\"site_id\":\"og13\"") != std::string::npos ? "og13" : "og12");
  }
  EXPECT_EQ(sites, (std::set<std::string>{"og12", "og13"}));
  EXPECT_EQ(counter(**service, "envelopes_rejected_total{code=\"wrong_site\"}"), 0u);
  (*service)->stop();
}

TEST_F(ActorServiceE2eTest, TheBinaryRunsFromItsYamlAndStopsCleanlyOnSigterm) {
  const fs::path yaml = dir_.path() / "actor.yaml";
  std::ofstream(yaml) << "actor: ambulance\nsite: og12\nkey_file: keys/ambulance.key\n"
                      << "gateway_keys: [gateways]\n"
                      << "broker:\n  url: " << broker_->url()
                      << "\n  client_id: ambulance-control-room\n  username: ambulance\n"
                      << "  password_file: broker.password\n  tls: {ca_file: "
                      << pki_.caCert().string() << "}\n"
                      << "state_dir: state\nlisten: 127.0.0.1:0\n"
                      << "sinks:\n  - name: dispatch\n    webhook: {url: \"" << receiver_.url("/in")
                      << "\"}\n";
  const std::string binary = std::string(GW_BINARY_DIR) + "/bin/lantaarn-actor";
  {
    gw::testing::ChildProcess check({{binary, "--config", yaml.string(), "--check"},
                                     {},
                                     dir_.path() / "check.out",
                                     dir_.path() / "check.err"});
    auto status = check.wait(std::chrono::seconds(20));
    ASSERT_TRUE(status);
    EXPECT_EQ(gw::testing::ChildProcess::exitCode(*status), 0) << check.readStderr();
  }
  gw::testing::ChildProcess actor({{binary, "--config", yaml.string()},
                                   {},
                                   dir_.path() / "actor.out",
                                   dir_.path() / "actor.err"});
  // Subscribed (its first session: what is published before would not be kept for it).
  ASSERT_TRUE(waitUntil([&] { return actor.readStderr().find("health=http") != std::string::npos; },
                        std::chrono::seconds(20)))
      << actor.readStderr();
  const auto keys = sendMany(*site_, 0, 6);
  ASSERT_TRUE(
      waitUntil([&] { return webhookKeys().size() >= keys.size(); }, std::chrono::seconds(20)))
      << actor.readStderr();
  EXPECT_EQ(webhookKeys(), keys);
  actor.signal(SIGTERM);
  auto status = actor.wait(std::chrono::seconds(20));
  ASSERT_TRUE(status);
  EXPECT_EQ(gw::testing::ChildProcess::exitCode(*status), 0) << actor.readStderr();
  EXPECT_TRUE(fs::exists(dir_.path() / "state" / "receiver.state"));

  // A config with a mistake: exit 1 and the file:line.
  std::ofstream(dir_.path() / "bad.yaml")
      << "actor: ambulance\nsinks:\n  - name: x\n    webhok: {}\n";
  gw::testing::ChildProcess bad({{binary, "--config", (dir_.path() / "bad.yaml").string()},
                                 {},
                                 dir_.path() / "bad.out",
                                 dir_.path() / "bad.err"});
  auto bad_status = bad.wait(std::chrono::seconds(20));
  ASSERT_TRUE(bad_status);
  EXPECT_EQ(gw::testing::ChildProcess::exitCode(*bad_status), 1);
  EXPECT_NE(bad.readStderr().find("bad.yaml:4:"), std::string::npos) << bad.readStderr();
}

}  // namespace
}  // namespace gw::actor_service
