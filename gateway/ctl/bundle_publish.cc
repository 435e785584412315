// gatewayctl policy publish: a signed bundle, checked as a gateway will check it, retained on the
// bundle topic of each site it names or of its group (docs/FLEET.md, docs/TOPICS.md).
#include <mqtt/async_client.h>

#include <cstdio>

#include "gateway/core/files.h"
#include "gateway/ctl/commands.h"
#include "gateway/fleet/bundle_reader.h"
#include "gateway/fleet/bundle_signature.h"
#include "gateway/fleet/fleet_topics.h"
#include "gateway/publisher/broker_login.h"

namespace gw::ctl {
namespace {

constexpr int kQos = 1;
constexpr auto kWait = std::chrono::seconds(10);

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "gatewayctl policy publish: %s\n", message.c_str());
  return code;
}

std::vector<std::string> topicsFor(const gateway::v1::BundleManifest& manifest) {
  if (!manifest.group().empty()) return {fleet::groupBundleTopic(manifest.group())};
  std::vector<std::string> topics;
  for (const auto& site : manifest.sites()) topics.push_back(fleet::siteBundleTopic(site));
  return topics;
}

}  // namespace

int runPolicyPublish(const PolicyPublishArgs& args) {
  auto operators = fleet::readOperatorKeys(args.operator_key_files);
  if (!operators.ok()) return fail(2, operators.status().message());
  auto bytes = readFile(args.bundle);
  if (!bytes.ok()) return fail(2, bytes.status().message());
  // What a gateway would refuse is not worth sending to a thousand of them.
  auto manifest = fleet::readBundle(*bytes, *operators);
  if (!manifest.ok()) {
    std::printf("REFUSED %s: %s\n", args.bundle.c_str(), manifest.status().message().c_str());
    return 1;
  }
  publisher::PublisherConfig login;
  login.broker_url = args.broker;
  login.username = args.username;
  if (!args.password_file.empty()) {
    auto password = readPasswordFile(args.password_file);
    if (!password.ok()) return fail(2, password.status().message());
    login.password = std::move(password).value();
  }
  if (!args.ca_file.empty()) login.tls = publisher::TlsConfig{args.ca_file, "", "", true};
  try {
    mqtt::async_client client(args.broker, "lantaarn-ctl-publish-" + std::to_string(::getpid()),
                              mqtt::create_options(MQTTVERSION_3_1_1), nullptr);
    auto options = mqtt::connect_options_builder()
                       .mqtt_version(MQTTVERSION_3_1_1)
                       .clean_session(true)
                       .connect_timeout(kWait);
    publisher::addBrokerLogin(options, login);
    client.connect(options.finalize())->wait_for(kWait);
    if (!client.is_connected()) return fail(2, "cannot connect to " + args.broker);
    for (const auto& topic : topicsFor(*manifest)) {
      auto token = client.publish(mqtt::make_message(topic, *bytes, kQos, true));
      if (!token->wait_for(kWait)) return fail(1, "the broker did not acknowledge " + topic);
      std::printf("published version %llu (%zu bytes) retained on %s\n",
                  static_cast<unsigned long long>(manifest->version()), bytes->size(),
                  topic.c_str());
    }
    client.disconnect()->wait_for(kWait);
  } catch (const mqtt::exception& e) {
    return fail(1, std::string("broker ") + args.broker + ": " + e.what());
  }
  return 0;
}

}  // namespace gw::ctl
