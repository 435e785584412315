// ActorSubscriber (and gatewayctl subscribe) on a broker deployed as docs/DEPLOY.md says: TLS,
// allow_anonymous false, a mosquitto_passwd password file and the ACL `gatewayctl acl export`
// writes. The actor reads its own topics; a wrong password, an untrusted CA, a certificate for
// another host name and unreadable files are refused, each saying why.
#include <gtest/gtest.h>
#include <mqtt/async_client.h>
#include <sys/stat.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "gateway/actor/actor_subscriber.h"
#include "gateway/config/broker_acl.h"
#include "gateway/core/clock.h"
#include "gateway/core/files.h"
#include "gateway/crypto/gateway_sealer.h"
#include "gateway/pipeline/topics.h"
#include "tests/support/child_process.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/test_pki.h"

namespace gw {
namespace {

using gw::testing::BrokerOptions;
using gw::testing::ChildProcess;
using gw::testing::MosquittoBroker;
using gw::testing::TempDir;
using gw::testing::TestPki;
using gw::testing::waitUntil;

constexpr const char* kSite = "s1";

gateway::v1::Policy policy() {
  gateway::v1::Policy p;
  p.mutable_site()->set_id(kSite);
  for (const char* id : {"ambulance", "police"}) {
    auto* a = p.add_actors();
    a->set_id(id);
    a->add_purposes("emergency_care");
  }
  return p;
}

void writeMode(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

class ActorSubscriberTlsTest : public ::testing::Test {
 protected:
  ActorSubscriberTlsTest() : pki_(dir_ / "pki") {
    ambulance_ = crypto::generateKeyPair("ambulance");
    police_ = crypto::generateKeyPair("police");
    identity_ = crypto::generateIdentityKey(kSite);
    std::ofstream(dir_ / "acl") << config::mosquittoAcl(policy());
    writeMode(dir_ / "ambulance.password", "pw-ambulance\n", 0600);
  }

  std::unique_ptr<MosquittoBroker> broker(const std::string& server_names) {
    const auto server = pki_.issue("server", server_names);
    BrokerOptions options;
    options.tls = gw::testing::BrokerTls{pki_.caCert(), server.cert, server.key, false};
    options.users = {
        {"lantaarn-gw-s1", "pw-gateway"}, {"ambulance", "pw-ambulance"}, {"police", "pw-police"}};
    options.extra_config = {"acl_file " + (dir_ / "acl").string()};
    return std::make_unique<MosquittoBroker>(options);
  }

  actor::SubscriberConfig config(const std::string& url) {
    actor::SubscriberConfig c;
    c.broker_url = url;
    c.username = "ambulance";
    c.password = "pw-ambulance";
    c.tls = actor::TlsSettings{pki_.caCert().string(), "", "", true};
    c.identity = {kSite, "ambulance", ambulance_, {crypto::identityPublicHalf(identity_)}};
    return c;
  }

  void connectAsGateway(mqtt::async_client& client) {
    auto ssl = mqtt::ssl_options_builder().trust_store(pki_.caCert().string()).finalize();
    client
        .connect(mqtt::connect_options_builder()
                     .user_name("lantaarn-gw-s1")
                     .password("pw-gateway")
                     .ssl(ssl)
                     .finalize())
        ->wait();
  }

  // The gateway's side: seals `count` readings for `actor` and publishes them as the gateway's
  // broker user, over TLS, the KEY retained as gatewayd does.
  void publish(const std::string& url, const std::string& actor, int count) {
    auto sealer = crypto::GatewaySealer::open(identity_, kSite, {});
    ASSERT_TRUE(sealer.ok()) << sealer.status().toString();
    (*sealer)->setActors(
        {{"ambulance", crypto::publicHalf(ambulance_)}, {"police", crypto::publicHalf(police_)}});
    mqtt::async_client client(url, "test-gateway");
    connectAsGateway(client);
    std::vector<crypto::SealedEnvelope> out;
    for (int i = 0; i < count; ++i) {
      gateway::v1::ActorMessage m;
      m.set_site_id(kSite);
      m.set_actor_id(actor);
      m.set_route_id("r");
      m.mutable_measurement()->set_quantity("pm10");
      m.mutable_measurement()->set_value(i);
      ASSERT_TRUE((*sealer)->seal(actor, m, nowUnixMs(), &out).ok());
    }
    for (const auto& e : out) {
      const bool key = e.kind == gateway::v1::ENVELOPE_KIND_KEY;
      client
          .publish(pipeline::actorTopic(kSite, actor, key ? "key" : "measurement"), e.payload, 1,
                   key)
          ->wait();
    }
    client.disconnect()->wait();
  }

  TempDir dir_;
  TestPki pki_;
  crypto::SecretKey ambulance_, police_;
  crypto::IdentityKey identity_;
};

TEST_F(ActorSubscriberTlsTest, ReadsItsOwnTopicsOverTlsWithAPasswordAndTheExportedAcl) {
  auto b = broker("DNS:localhost,IP:127.0.0.1");
  std::mutex mutex;
  std::vector<double> values;
  actor::ActorSubscriber sub(config(b->url()), [&](const actor::Delivery& d) {
    std::lock_guard lock(mutex);
    if (d.received.verdict == actor::Verdict::kMessage) {
      values.push_back(d.received.message.measurement().value());
    }
  });
  const Status s = sub.start(std::chrono::seconds(10));
  ASSERT_TRUE(s.ok()) << s.toString() << b->log();
  publish(b->url(), "ambulance", 20);
  ASSERT_TRUE(waitUntil(
      [&] {
        std::lock_guard lock(mutex);
        return values.size() >= 20;
      },
      std::chrono::seconds(20)))
      << b->log();
  sub.stop();
  EXPECT_EQ(values.size(), 20u);
  EXPECT_EQ(sub.stats().rejected, 0u);
}

// The exported ACL lets the actor read its site's gateway status, so a silence says why.
TEST_F(ActorSubscriberTlsTest, ASilentStreamSaysWhyFromTheStatusTheAclLetsItRead) {
  auto b = broker("IP:127.0.0.1");
  {
    // What gatewayd's clean stop (or its Last Will) leaves on the broker.
    mqtt::async_client gateway(b->url(), "test-gateway-status");
    connectAsGateway(gateway);
    gateway.publish("lantaarn/v1/s1/_gateway/status", std::string("offline"), 1, true)->wait();
    gateway.disconnect()->wait();
  }
  std::mutex mutex;
  std::vector<actor::Notice> notices;
  auto c = config(b->url());
  c.silence_after = std::chrono::milliseconds(300);
  actor::ActorSubscriber sub(
      c, [](const actor::Delivery&) {},
      [&](const actor::Notice& n) {
        std::lock_guard lock(mutex);
        notices.push_back(n);
      });
  ASSERT_TRUE(sub.start(std::chrono::seconds(10)).ok());
  const auto count = [&] {
    std::lock_guard lock(mutex);
    return notices.size();
  };
  ASSERT_TRUE(waitUntil([&] { return count() >= 1; }, std::chrono::seconds(10)));
  publish(b->url(), "ambulance", 1);
  ASSERT_TRUE(waitUntil([&] { return count() >= 2; }, std::chrono::seconds(10)));
  sub.stop();
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_EQ(notices[0].type, actor::Notice::Type::kSilent);
  EXPECT_EQ(notices[0].reason, "gateway offline");
  EXPECT_EQ(notices[0].site_id, kSite);
  EXPECT_EQ(notices[0].gateway_key_id, identity_.key_id);
  EXPECT_GE(notices[0].at_unix_ms - notices[0].since_unix_ms, 300);
  EXPECT_EQ(notices[1].type, actor::Notice::Type::kResumed);
  EXPECT_EQ(notices[1].since_unix_ms, notices[0].since_unix_ms);
}

TEST_F(ActorSubscriberTlsTest, AWrongPasswordIsRefused) {
  auto b = broker("IP:127.0.0.1");
  auto c = config(b->url());
  c.password = "not-the-password";
  actor::ActorSubscriber sub(c, [](const actor::Delivery&) {});
  const Status s = sub.start(std::chrono::seconds(10));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("not authorised"), std::string::npos) << s.message();
  // The same settings with the right password connect: the password was the only reason.
  actor::ActorSubscriber good(config(b->url()), [](const actor::Delivery&) {});
  EXPECT_TRUE(good.start(std::chrono::seconds(10)).ok());
}

TEST_F(ActorSubscriberTlsTest, ABrokerCertificateFromAnUntrustedCaIsRefused) {
  auto b = broker("IP:127.0.0.1");
  TestPki other(dir_ / "other-pki");
  auto c = config(b->url());
  c.tls->ca_file = other.caCert().string();
  actor::ActorSubscriber sub(c, [](const actor::Delivery&) {});
  const Status s = sub.start(std::chrono::seconds(10));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("signed by the CA"), std::string::npos) << s.message();
}

TEST_F(ActorSubscriberTlsTest, ACertificateForAnotherHostNameIsRefused) {
  // Signed by the trusted CA, but for another name than the 127.0.0.1 the URL names.
  auto b = broker("DNS:other.example");
  auto c = config(b->url());
  {
    actor::ActorSubscriber sub(c, [](const actor::Delivery&) {});
    const Status s = sub.start(std::chrono::seconds(10));
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("host name"), std::string::npos) << s.message();
  }
  // Host name verification off: it connects, so the name was the only reason.
  c.tls->verify_hostname = false;
  actor::ActorSubscriber sub(c, [](const actor::Delivery&) {});
  EXPECT_TRUE(sub.start(std::chrono::seconds(10)).ok());
}

TEST_F(ActorSubscriberTlsTest, AClientCertificateWhenTheBrokerRequiresOne) {
  const auto server = pki_.issue("server", "IP:127.0.0.1");
  BrokerOptions options;
  options.tls = gw::testing::BrokerTls{pki_.caCert(), server.cert, server.key, true};
  options.users = {{"ambulance", "pw-ambulance"}};
  MosquittoBroker b(options);
  auto c = config(b.url());
  {
    actor::ActorSubscriber sub(c, [](const actor::Delivery&) {});
    EXPECT_FALSE(sub.start(std::chrono::seconds(10)).ok()) << "no client certificate";
  }
  const auto client = pki_.issue("ambulance", "DNS:ambulance");
  c.tls->cert_file = client.cert.string();
  c.tls->key_file = client.key.string();
  actor::ActorSubscriber sub(c, [](const actor::Delivery&) {});
  const Status s = sub.start(std::chrono::seconds(10));
  EXPECT_TRUE(s.ok()) << s.toString() << b.log();
}

TEST_F(ActorSubscriberTlsTest, SettingsThatCannotWorkAreRefusedNamingTheFile) {
  auto c = config("ssl://127.0.0.1:1");
  c.tls->ca_file = (dir_ / "missing-ca.crt").string();
  actor::ActorSubscriber sub(c, [](const actor::Delivery&) {});
  Status s = sub.start(std::chrono::seconds(1));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("missing-ca.crt"), std::string::npos) << s.message();

  c = config("tcp://127.0.0.1:1");  // TLS settings for a plain TCP URL, as the publisher refuses
  actor::ActorSubscriber plain(c, [](const actor::Delivery&) {});
  EXPECT_EQ(plain.start(std::chrono::seconds(1)).code(), StatusCode::kInvalidArgument);

  c = config("ssl://127.0.0.1:1");
  c.tls->cert_file = (dir_ / "pki" / "ca.crt").string();  // a certificate without its key
  actor::ActorSubscriber half(c, [](const actor::Delivery&) {});
  EXPECT_EQ(half.start(std::chrono::seconds(1)).code(), StatusCode::kInvalidArgument);
}

TEST(PasswordFileTest, ReadsWithoutTheLineEndAndRefusesOneOthersCanRead) {
  TempDir dir;
  writeMode(dir / "ok", "secret\n", 0640);
  auto ok = readPasswordFile(dir / "ok");
  ASSERT_TRUE(ok.ok()) << ok.status().toString();
  EXPECT_EQ(*ok, "secret");
  writeMode(dir / "open", "secret\n", 0644);
  auto open = readPasswordFile(dir / "open");
  EXPECT_EQ(open.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(open.status().message().find((dir / "open").string()), std::string::npos);
  auto missing = readPasswordFile(dir / "missing");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("missing"), std::string::npos);
}

// The command line an actor runs: gatewayctl subscribe with --password-file and --tls-ca.
TEST_F(ActorSubscriberTlsTest, GatewayctlSubscribeWithPasswordFileAndTls) {
  auto b = broker("IP:127.0.0.1");
  ASSERT_TRUE(crypto::writeKeyPair(ambulance_, dir_ / "keys").ok());
  ASSERT_TRUE(crypto::writeIdentityKeyPair(identity_, dir_ / "keys", "gateway").ok());
  const std::vector<std::string> base = {gw::testing::appBinary("gatewayctl"),
                                         "subscribe",
                                         "--broker",
                                         b->url(),
                                         "--site",
                                         kSite,
                                         "--actor",
                                         "ambulance",
                                         "--key",
                                         (dir_ / "keys" / "ambulance.key").string(),
                                         "--gateway-key",
                                         (dir_ / "keys" / "gateway.pub").string(),
                                         "--username",
                                         "ambulance",
                                         "--tls-ca",
                                         pki_.caCert().string(),
                                         "--json"};
  // A password file others can read is refused before connecting, naming the file.
  writeMode(dir_ / "open.password", "pw-ambulance\n", 0644);
  auto args = base;
  args.insert(args.end(), {"--password-file", (dir_ / "open.password").string(), "--timeout", "5"});
  ChildProcess refused({args, {}, dir_ / "refused.out", dir_ / "refused.err"});
  const auto refused_status = refused.wait(std::chrono::seconds(10));
  ASSERT_TRUE(refused_status.has_value());
  EXPECT_EQ(ChildProcess::exitCode(*refused_status), 2);
  EXPECT_NE(refused.readStderr().find("open.password"), std::string::npos) << refused.readStderr();

  args = base;
  args.insert(args.end(), {"--password-file", (dir_ / "ambulance.password").string(), "--count",
                           "10", "--timeout", "30"});
  ChildProcess sub({args, {}, dir_ / "sub.out", dir_ / "sub.err"});
  ASSERT_TRUE(waitUntil([&] { return sub.readStderr().find("subscribed") != std::string::npos; },
                        std::chrono::seconds(15)))
      << sub.readStderr();
  publish(b->url(), "ambulance", 10);
  const auto status = sub.wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(ChildProcess::exitCode(*status), 0) << sub.readStderr();
  const std::string err = sub.readStderr();
  const std::string last = err.substr(err.rfind("{\"report\":\"summary\""));
  const auto summary = nlohmann::json::parse(last);
  EXPECT_EQ(summary["received"], 10);
  EXPECT_EQ(summary["rejected"], 0);
}

}  // namespace
}  // namespace gw
