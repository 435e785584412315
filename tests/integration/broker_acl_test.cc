// The exported ACL enforced by a real Mosquitto: an actor cannot read another actor's topics, not
// even with '#', and the gateway's user cannot publish outside its site prefix.
#include "gateway/config/broker_acl.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>
#include <mqtt/async_client.h>

#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/mosquitto_broker.h"

namespace gw {
namespace {

using gw::testing::waitUntil;

gateway::v1::Policy policy() {
  gateway::v1::Policy p;
  google::protobuf::TextFormat::ParseFromString(
      R"pb(
        site { id: "s1" }
        gateway { broker { username: "gw-s1" } }
        actors { id: "police" broker_username: "politie" purposes: "public_order" }
        actors { id: "ambulance" purposes: "rescue" }
      )pb",
      &p);
  return p;
}

// <dir>/passwd for `users`, each with the password "pw-<user>" (mosquitto_passwd); false when
// mosquitto_passwd failed (its output in <dir>/passwd.log).
bool writePasswords(const std::filesystem::path& dir, const std::vector<std::string>& users) {
  for (size_t i = 0; i < users.size(); ++i) {
    std::vector<std::string> argv = {"mosquitto_passwd", "-b", (dir / "passwd").string(), users[i],
                                     "pw-" + users[i]};
    if (i == 0) argv.insert(argv.begin() + 1, "-c");
    gw::testing::ChildProcess passwd({argv, {}, {}, dir / "passwd.log"});
    auto status = passwd.wait(std::chrono::seconds(10));
    if (!status || gw::testing::ChildProcess::exitCode(*status) != 0) return false;
  }
  return true;
}

// A client that records what it receives.
class Client {
 public:
  // `tag` tells two clients of one user apart (the broker keeps one connection per client id).
  Client(const std::string& url, const std::string& user, const std::string& tag = "")
      : client_(url, "acl-test-" + user + tag) {
    client_.set_message_callback([this](mqtt::const_message_ptr m) {
      std::lock_guard lock(mutex_);
      topics_.push_back(m->get_topic());
    });
    auto options = mqtt::connect_options_builder()
                       .user_name(user)
                       .password("pw-" + user)
                       .clean_session(true)
                       .finalize();
    client_.connect(options)->wait();
  }
  ~Client() {
    try {
      if (client_.is_connected()) client_.disconnect()->wait_for(std::chrono::seconds(1));
    } catch (const mqtt::exception&) {
    }
  }
  // Returns false when the broker refused the subscription (Paho throws on a failure code);
  // only the traffic that follows tells what the broker really lets through.
  bool subscribe(const std::string& filter) {
    try {
      client_.subscribe(filter, 1)->wait();
      return true;
    } catch (const mqtt::exception& e) {
      std::cout << "subscription " << filter << " refused: " << e.what() << "\n";
      return false;
    }
  }
  // Returns false when the broker dropped the connection over it.
  bool publish(const std::string& topic) {
    try {
      // Bounded: after a refusal Paho may drop the connection and never complete the token.
      return client_.publish(topic, std::string("x"), 1, false)->wait_for(std::chrono::seconds(1));
    } catch (const mqtt::exception& e) {
      std::cout << "publish to " << topic << " failed: " << e.what() << "\n";
      return false;
    }
  }
  std::vector<std::string> topics() {
    std::lock_guard lock(mutex_);
    return topics_;
  }

 private:
  mqtt::async_client client_;
  std::mutex mutex_;
  std::vector<std::string> topics_;
};

TEST(BrokerAclTest, ActorsReadOnlyTheirOwnTopicsAndTheGatewayWritesOnlyItsPrefix) {
  gw::testing::TempDir dir;
  std::ofstream(dir / "acl")
      << config::mosquittoAcl(policy())
      // Test scaffolding, not exported: an observer that may read everything.
      << "\nuser observer\ntopic read #\n";
  ASSERT_TRUE(writePasswords(dir.path(), {"gw-s1", "politie", "ambulance", "observer"}))
      << gw::testing::readWholeFile(dir / "passwd.log");
  gw::testing::BrokerOptions options;
  options.allow_anonymous = false;
  options.extra_config = {"acl_file " + (dir / "acl").string(),
                          "password_file " + (dir / "passwd").string()};
  gw::testing::MosquittoBroker broker(options);

  Client observer(broker.url(), "observer");
  observer.subscribe("#");
  Client police(broker.url(), "politie");
  police.subscribe("lantaarn/v1/s1/ambulance/#");  // another actor's topics
  police.subscribe("#");                           // everything
  Client ambulance(broker.url(), "ambulance");
  ambulance.subscribe("lantaarn/v1/s1/ambulance/#");
  {
    Client gateway(broker.url(), "gw-s1");
    EXPECT_TRUE(gateway.publish("lantaarn/v1/s1/ambulance/event"));
    EXPECT_TRUE(gateway.publish("lantaarn/v1/s1/police/event"));
  }
  // Each refused publish from its own connection: Mosquitto answers a denied QoS 1 publish with a
  // failure reason and Paho drops the connection, which must not hide the next attempt.
  for (const char* topic : {"lantaarn/v1/s2/ambulance/event",  // another site's prefix
                            "lantaarn/v1/s1",                  // the bare site topic
                            "elsewhere/topic"}) {              // outside the scheme
    Client gateway(broker.url(), "gw-s1");
    gateway.publish(topic);
  }
  {
    Client actor(broker.url(), "politie");
    actor.publish("lantaarn/v1/s1/ambulance/event");  // an actor may not publish at all
  }

  ASSERT_TRUE(waitUntil([&] { return observer.topics().size() >= 2; }, std::chrono::seconds(10)))
      << broker.log();
  std::this_thread::sleep_for(
      std::chrono::milliseconds(300));  // room for anything that should not come
  EXPECT_EQ(observer.topics(), (std::vector<std::string>{"lantaarn/v1/s1/ambulance/event",
                                                         "lantaarn/v1/s1/police/event"}));
  EXPECT_EQ(ambulance.topics(), (std::vector<std::string>{"lantaarn/v1/s1/ambulance/event"}));
  EXPECT_EQ(police.topics(), (std::vector<std::string>{"lantaarn/v1/s1/police/event"}));
}

// A fleet site (issue 23): only the operator's user writes bundles; the site reads its own and its
// group's bundle topics, not another site's; the operator reads what sites report.
TEST(BrokerAclTest, OnlyTheOperatorWritesBundlesAndASiteReadsOnlyItsOwn) {
  gateway::v1::Policy p = policy();
  auto* fleet = p.mutable_gateway()->mutable_fleet();
  fleet->add_operator_keys("ops.pub");
  fleet->set_group("north");
  fleet->set_operator_broker_user("ops");
  gw::testing::TempDir dir;
  std::ofstream(dir / "acl") << config::mosquittoAcl(p)
                             << "\nuser observer\ntopic read #\n";  // test scaffolding
  ASSERT_TRUE(writePasswords(dir.path(), {"gw-s1", "ops", "politie", "observer"}))
      << gw::testing::readWholeFile(dir / "passwd.log");
  gw::testing::BrokerOptions options;
  options.allow_anonymous = false;
  options.extra_config = {"acl_file " + (dir / "acl").string(),
                          "password_file " + (dir / "passwd").string()};
  gw::testing::MosquittoBroker broker(options);

  Client observer(broker.url(), "observer");
  observer.subscribe("#");
  Client site(broker.url(), "gw-s1");
  site.subscribe("lantaarn/fleet/v1/site/s1/bundle");
  site.subscribe("lantaarn/fleet/v1/group/north/bundle");
  site.subscribe("lantaarn/fleet/v1/site/s2/bundle");  // another site's
  Client operator_user(broker.url(), "ops");
  operator_user.subscribe("lantaarn/v1/+/_gateway/#");
  Client police(broker.url(), "politie");
  police.subscribe("lantaarn/fleet/v1/#");
  {
    Client ops(broker.url(), "ops", "-publisher");
    for (const char* topic :
         {"lantaarn/fleet/v1/site/s1/bundle", "lantaarn/fleet/v1/group/north/bundle",
          "lantaarn/fleet/v1/site/s2/bundle"}) {
      EXPECT_TRUE(ops.publish(topic)) << topic;
    }
  }
  {
    Client reporter(broker.url(), "gw-s1", "-publisher");
    EXPECT_TRUE(reporter.publish("lantaarn/v1/s1/_gateway/health"));
  }
  // Neither the site nor an actor may put a bundle anywhere.
  for (const char* user : {"gw-s1", "politie"}) {
    Client forger(broker.url(), user, "-forger");
    forger.publish("lantaarn/fleet/v1/group/north/bundle");
  }
  ASSERT_TRUE(waitUntil([&] { return observer.topics().size() >= 4; }, std::chrono::seconds(10)))
      << broker.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(observer.topics(),
            (std::vector<std::string>{
                "lantaarn/fleet/v1/site/s1/bundle", "lantaarn/fleet/v1/group/north/bundle",
                "lantaarn/fleet/v1/site/s2/bundle", "lantaarn/v1/s1/_gateway/health"}));
  EXPECT_EQ(site.topics(), (std::vector<std::string>{"lantaarn/fleet/v1/site/s1/bundle",
                                                     "lantaarn/fleet/v1/group/north/bundle"}));
  EXPECT_EQ(operator_user.topics(), (std::vector<std::string>{"lantaarn/v1/s1/_gateway/health"}));
  EXPECT_TRUE(police.topics().empty());
}

// Open data: the one topic every client may read, anonymous ones included; nobody but the
// gateway writes it, and reading it opens nothing else.
TEST(BrokerAclTest, OpenDataIsReadableByEveryClientAndWritableOnlyByTheGateway) {
  auto p = policy();
  auto* route = p.add_routes();
  route->set_to("police");
  route->set_purpose("public_order");
  route->set_open_data(true);
  route->mutable_aggregate()->set_interval("15m");
  gw::testing::TempDir dir;
  std::ofstream(dir / "acl") << config::mosquittoAcl(p);
  for (const char* user : {"gw-s1", "politie"}) {
    std::vector<std::string> argv = {"mosquitto_passwd", "-b", (dir / "passwd").string(), user,
                                     std::string("pw-") + user};
    if (std::string(user) == "gw-s1") argv.insert(argv.begin() + 1, "-c");
    gw::testing::ChildProcess passwd({argv, {}, {}, dir / "passwd.log"});
    auto status = passwd.wait(std::chrono::seconds(10));
    ASSERT_TRUE(status && gw::testing::ChildProcess::exitCode(*status) == 0);
  }
  gw::testing::BrokerOptions options;
  options.allow_anonymous = true;  // a citizen without an account
  options.extra_config = {"acl_file " + (dir / "acl").string(),
                          "password_file " + (dir / "passwd").string()};
  gw::testing::MosquittoBroker broker(options);

  std::mutex mutex;
  std::vector<std::string> citizen_topics;
  mqtt::async_client citizen(broker.url(), "acl-test-citizen");
  citizen.set_message_callback([&](mqtt::const_message_ptr m) {
    std::lock_guard lock(mutex);
    citizen_topics.push_back(m->get_topic());
  });
  citizen.connect()->wait();
  citizen.subscribe("lantaarn/v1/s1/#", 1)->wait();
  {
    // Before `police` connects: the same user gets the same client id, which would take over.
    Client intruder(broker.url(), "politie");
    intruder.publish("lantaarn/v1/s1/public/open-data");  // refused: read only
  }
  Client police(broker.url(), "politie");
  police.subscribe("lantaarn/v1/s1/public/open-data");
  {
    Client gateway(broker.url(), "gw-s1");
    EXPECT_TRUE(gateway.publish("lantaarn/v1/s1/police/event"));  // sealed data: not for citizens
    EXPECT_TRUE(gateway.publish("lantaarn/v1/s1/public/open-data"));
  }
  ASSERT_TRUE(waitUntil([&] { return police.topics().size() >= 1; }, std::chrono::seconds(10)))
      << broker.log();
  ASSERT_TRUE(waitUntil(
      [&] {
        std::lock_guard lock(mutex);
        return !citizen_topics.empty();
      },
      std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // room for what must not come
  EXPECT_EQ(police.topics(), (std::vector<std::string>{"lantaarn/v1/s1/public/open-data"}));
  std::lock_guard lock(mutex);
  EXPECT_EQ(citizen_topics, (std::vector<std::string>{"lantaarn/v1/s1/public/open-data"}));
  citizen.disconnect()->wait();
}

TEST(BrokerAclTest, DefaultsForBrokerUsers) {
  gateway::v1::Policy p;
  p.mutable_site()->set_id("x");
  p.add_actors()->set_id("fire");
  EXPECT_EQ(config::gatewayBrokerUser(p), "lantaarn-gw-x");
  EXPECT_EQ(config::actorBrokerUser(p.actors(0)), "fire");
  EXPECT_NE(config::mosquittoAcl(p).find("user fire\ntopic read lantaarn/v1/x/fire/#\n"),
            std::string::npos);
}

}  // namespace
}  // namespace gw
