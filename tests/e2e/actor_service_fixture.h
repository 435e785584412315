#pragma once
// The fixture lantaarn-actor's end-to-end tests share: a real Mosquitto with TLS,
// allow_anonymous false, a password file and the ACL `gatewayctl acl export` writes for sites
// og12 and og13 and the ambulance; the ambulance's key pair in <dir>/keys; site og12's gateway
// identity (gateway-box/og12.key, its .pub pinned in gateways/); a FakeSite publishing as that
// gateway with its own sealer; a real HTTP server as the actor's webhook receiver.
#include <gtest/gtest.h>
#include <mqtt/async_client.h>

#include <fstream>
#include <set>
#include <sstream>

#include "gateway/actor_service/actor_service.h"
#include "gateway/core/clock.h"
#include "gateway/crypto/gateway_sealer.h"
#include "gateway/pipeline/topics.h"
#include "tests/support/http_receiver.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace gw::actor_service {

namespace fs = std::filesystem;
using gw::testing::BrokerOptions;
using gw::testing::HttpReceiver;
using gw::testing::MosquittoBroker;
using gw::testing::waitUntil;

constexpr const char* kSite = "og12";
constexpr const char* kGatewayPassword = "gw-secret";
constexpr const char* kActorPassword = "amb-secret";

inline std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The gateway's side: its sealer, publishing over its own broker account as gatewayd does
// (KEY retained, QoS 1).
class FakeSite {
 public:
  FakeSite(const std::string& url, const mqtt::ssl_options& ssl, const crypto::PublicKey& ambulance,
           const std::string& site = kSite)
      : site_(site), identity_(crypto::generateIdentityKey(site)) {
    auto sealer = crypto::GatewaySealer::open(identity_, site_, {});
    if (!sealer.ok()) throw std::runtime_error(sealer.status().toString());
    sealer_ = std::move(sealer).value();
    sealer_->setActors({{"ambulance", ambulance}});
    client_ = std::make_unique<mqtt::async_client>(url, "gateway-" + site_);
    auto options = mqtt::connect_options_builder()
                       .user_name("lantaarn-gw-" + site_)
                       .password(kGatewayPassword)
                       .ssl(ssl)
                       .finalize();
    client_->connect(options)->wait();
  }
  ~FakeSite() {
    try {
      client_->disconnect()->wait();
    } catch (const mqtt::exception&) {
    }
  }

  const crypto::IdentityKey& identity() const { return identity_; }

  // Seals and publishes one event (odd) or reading (even); returns the envelopes sent.
  std::vector<crypto::SealedEnvelope> send(int index) {
    gateway::v1::ActorMessage m;
    m.set_site_id(site_);
    m.set_actor_id("ambulance");
    m.set_route_id("falls");
    m.set_purpose("emergency_response");
    m.set_produced_unix_ms(nowUnixMs());
    if (index % 2 == 1) {
      auto* e = m.mutable_event();
      e->set_detector_id("square_falls");
      e->set_kind("fall");
      e->set_severity(gateway::v1::SEVERITY_ALARM);
      e->set_source_id("cam-" + std::to_string(index));
      e->mutable_location()->set_lat(52.09);
      e->mutable_location()->set_lon(5.12);
    } else {
      m.mutable_measurement()->set_quantity("water_level");
      m.mutable_measurement()->set_value(index);
    }
    std::vector<crypto::SealedEnvelope> out;
    if (!sealer_->seal("ambulance", m, nowUnixMs(), &out).ok()) throw std::runtime_error("seal");
    for (const auto& e : out) publish(e);
    return out;
  }

  void checkpoint() {
    std::vector<std::pair<std::string, crypto::SealedEnvelope>> due;
    (void)sealer_->checkpoints(nowUnixMs(), true, &due);
    for (const auto& [actor, e] : due) publish(e);
  }

  void publish(const crypto::SealedEnvelope& e) {
    const bool key = e.kind == gateway::v1::ENVELOPE_KIND_KEY;
    const char* kind = key                                               ? "key"
                       : e.kind == gateway::v1::ENVELOPE_KIND_CHECKPOINT ? "checkpoint"
                                                                         : "event";
    client_->publish(pipeline::actorTopic(site_, "ambulance", kind), e.payload, 1, key)->wait();
  }

 private:
  std::string site_;
  crypto::IdentityKey identity_;
  std::unique_ptr<crypto::GatewaySealer> sealer_;
  std::unique_ptr<mqtt::async_client> client_;
};

class ActorServiceE2eTest : public ::testing::Test {
 protected:
  ActorServiceE2eTest() : pki_(dir_.path() / "pki") {
    const auto server = pki_.issue("broker", "IP:127.0.0.1,DNS:localhost");
    const fs::path acl = dir_.path() / "acl";
    // What `gatewayctl acl export` writes for this site (gateway/config/broker_acl.cc).
    // Two sites' gateways; the ambulance reads both (one control room serving two sites).
    std::ofstream(acl) << "user lantaarn-gw-og12\ntopic write lantaarn/v1/og12/+/#\n\n"
                       << "user lantaarn-gw-og13\ntopic write lantaarn/v1/og13/+/#\n\n"
                       << "user ambulance\ntopic read lantaarn/v1/og12/ambulance/#\n"
                       << "topic read lantaarn/v1/og12/_gateway/status\n"
                       << "topic read lantaarn/v1/og13/ambulance/#\n"
                       << "topic read lantaarn/v1/og13/_gateway/status\n";
    BrokerOptions options;
    options.tls = gw::testing::BrokerTls{pki_.caCert(), server.cert, server.key, false};
    options.users = {{"lantaarn-gw-og12", kGatewayPassword},
                     {"lantaarn-gw-og13", kGatewayPassword},
                     {"ambulance", kActorPassword}};
    options.extra_config = {"acl_file " + acl.string(), "max_queued_messages 100000"};
    broker_ = std::make_unique<MosquittoBroker>(options);
    EXPECT_TRUE(crypto::initSodium().ok());
    EXPECT_TRUE(crypto::writeKeyPair(ambulance_, dir_.path() / "keys").ok());
    site_ = std::make_unique<FakeSite>(
        broker_->url(), mqtt::ssl_options_builder().trust_store(pki_.caCert().string()).finalize(),
        crypto::publicHalf(ambulance_));
    // The site's gateway.pub, pinned; its secret half stays in the test, as on the box.
    EXPECT_TRUE(
        crypto::writeIdentityKeyPair(site_->identity(), dir_.path() / "gateway-box", "og12").ok());
    fs::create_directories(dir_.path() / "gateways");
    fs::copy_file(dir_.path() / "gateway-box" / "og12.pub", dir_.path() / "gateways" / "og12.pub");
    std::ofstream(dir_.path() / "broker.password") << kActorPassword << "\n";
    fs::permissions(dir_.path() / "broker.password",
                    fs::perms::owner_read | fs::perms::owner_write);
  }

  ServiceConfig config() {
    ServiceConfig c;
    c.actor = "ambulance";
    c.site = kSite;
    c.key_file = (dir_.path() / "keys" / "ambulance.key").string();
    c.gateway_keys = {pinnedKeyFile()};
    c.broker.url = broker_->url();
    c.broker.client_id = "ambulance-control-room";
    c.broker.username = "ambulance";
    c.broker.password_file = (dir_.path() / "broker.password").string();
    c.broker.tls = TlsFiles{pki_.caCert().string(), "", "", true};
    c.state_dir = dir_.path() / "state";
    c.listen_port = 0;
    SinkSettings webhook;
    webhook.name = "dispatch";
    webhook.type = SinkType::kWebhook;
    webhook.url = receiver_.url("/lantaarn");
    webhook.retry_min = std::chrono::milliseconds(100);
    webhook.retry_max = std::chrono::milliseconds(1000);
    webhook.timeout = std::chrono::seconds(2);
    SinkSettings cap;
    cap.name = "alerts";
    cap.type = SinkType::kCap;
    cap.directory = (dir_.path() / "cap").string();
    cap.filter.kinds = {"event"};
    SinkSettings lines;
    lines.name = "archive";
    lines.type = SinkType::kJsonLines;
    lines.path = (dir_.path() / "archive.jsonl").string();
    c.sinks = {webhook, cap, lines};
    return c;
  }

  std::string pinnedKeyFile() const { return (dir_.path() / "gateways" / "og12.pub").string(); }

  std::set<std::string> webhookKeys() const {
    std::set<std::string> keys;
    for (const auto& r : receiver_.requests()) keys.insert(r.headers.at("idempotency-key"));
    return keys;
  }

  uint64_t counter(const ActorService& s, const std::string& key) const {
    return s.counters().value(key);
  }

  gw::testing::TempDir dir_;
  gw::testing::TestPki pki_;
  std::unique_ptr<MosquittoBroker> broker_;
  crypto::SecretKey ambulance_ = crypto::generateKeyPair("ambulance");
  std::unique_ptr<FakeSite> site_;
  HttpReceiver receiver_;
};

}  // namespace gw::actor_service
