// The published test vectors (tests/vectors/envelope_v2.json) hold: once through the actor
// library, and once through a decoder written here from the .proto comments alone, with raw
// libsodium calls, as a third party would write one.
#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "gateway/actor/actor_subscriber.h"
#include "gateway/actor/envelope_receiver.h"
#include "tests/support/temp_dir.h"

namespace gw {
namespace {

using nlohmann::json;

json loadVectors() {
  std::ifstream in(std::string(GW_SOURCE_DIR) + "/tests/vectors/envelope_v2.json");
  EXPECT_TRUE(in) << "tests/vectors/envelope_v2.json is missing";
  return json::parse(in);
}

std::string unhex(const std::string& text) {
  std::string out(text.size() / 2, '\0');
  size_t len = 0;
  EXPECT_EQ(sodium_hex2bin(reinterpret_cast<uint8_t*>(out.data()), out.size(), text.data(),
                           text.size(), nullptr, &len, nullptr),
            0);
  out.resize(len);
  return out;
}

crypto::KeyBytes unb64(const std::string& text) {
  crypto::KeyBytes out{};
  size_t len = 0;
  EXPECT_EQ(sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len,
                              nullptr, sodium_base64_VARIANT_ORIGINAL),
            0);
  EXPECT_EQ(len, out.size());
  return out;
}

actor::ReceiverIdentity identityFor(const json& v, const std::string& actor) {
  actor::ReceiverIdentity id;
  id.site_id = v["site_id"];
  id.actor_id = actor;
  id.key.actor = actor;
  id.key.secret = unb64(v["actors"][actor]["secret_key_b64"]);
  crypto_scalarmult_base(id.key.public_key.data(), id.key.secret.data());
  id.key.key_id = crypto::keyIdOf(id.key.public_key);
  EXPECT_EQ(id.key.key_id, v["actors"][actor]["key_id"]);
  crypto::IdentityPublicKey gateway;
  gateway.owner = v["site_id"];
  gateway.bytes = unb64(v["gateway"]["public_key_b64"]);
  gateway.key_id = crypto::keyIdOf(gateway.bytes);
  EXPECT_EQ(gateway.key_id, v["gateway"]["key_id"]);
  id.gateways.push_back(gateway);
  return id;
}

const char* verdictName(actor::Verdict v) {
  switch (v) {
    case actor::Verdict::kMessage:
      return "message";
    case actor::Verdict::kKey:
      return "key";
    case actor::Verdict::kCheckpoint:
      return "checkpoint";
    case actor::Verdict::kDuplicate:
      return "duplicate";
    case actor::Verdict::kRejected:
      return "rejected";
  }
  return "?";
}

TEST(VectorsTest, EveryCaseGivesItsExpectedOutcomeInTheActorLibrary) {
  const json v = loadVectors();
  ASSERT_GE(v["cases"].size(), 8u);
  const int64_t now = v["now_unix_ms"];
  for (const auto& c : v["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    actor::EnvelopeReceiver receiver(identityFor(v, c["receiver"]));
    int step_no = 0;
    for (const auto& step : c["steps"]) {
      SCOPED_TRACE("step " + std::to_string(step_no++));
      auto r = receiver.receive(unhex(step["payload_hex"]), now);
      ASSERT_EQ(verdictName(r.verdict), step["expect"].get<std::string>()) << r.reason;
      if (step.contains("reason")) {
        EXPECT_EQ(r.reason.substr(0, r.reason.find(':')), step["reason"].get<std::string>());
      }
      if (step.contains("message_json")) {
        EXPECT_EQ(json::parse(actor::toJson(r.message)), step["message_json"]);
      }
      const json expected_reports = step.value("reports", json::array());
      ASSERT_EQ(r.reports.size(), expected_reports.size());
      for (size_t i = 0; i < r.reports.size(); ++i) {
        EXPECT_EQ(actor::reportName(r.reports[i].type), expected_reports[i]["type"]);
        EXPECT_EQ(r.reports[i].from, expected_reports[i]["from"]);
        EXPECT_EQ(r.reports[i].to, expected_reports[i]["to"]);
        EXPECT_EQ(r.reports[i].missing, expected_reports[i]["missing"]);
      }
    }
  }
}

// ---- An independent decoder: only the .proto comments, protobuf and libsodium. ----

std::string u32be(uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
          static_cast<char>(n)};
}

std::string blake2b(const std::string& message, const std::string& key = "") {
  std::string out(32, '\0');
  crypto_generichash(reinterpret_cast<uint8_t*>(out.data()), 32,
                     reinterpret_cast<const uint8_t*>(message.data()), message.size(),
                     key.empty() ? nullptr : reinterpret_cast<const uint8_t*>(key.data()),
                     key.size());
  return out;
}

TEST(VectorsTest, AThirdPartyDecoderFollowingTheProtoCommentsReadsTheValidStream) {
  const json v = loadVectors();
  const auto gateway_pk = unb64(v["gateway"]["public_key_b64"]);
  const auto secret = unb64(v["actors"]["police"]["secret_key_b64"]);
  crypto::KeyBytes pk{};
  crypto_scalarmult_base(pk.data(), secret.data());
  const json* stream = nullptr;
  for (const auto& c : v["cases"]) {
    if (c["name"] == "valid_stream") stream = &c;
  }
  ASSERT_NE(stream, nullptr);

  std::string epoch_key, nonce_prefix, chain(32, '\0');
  int messages = 0;
  bool checkpoint_matched = false;
  for (const auto& step : (*stream)["steps"]) {
    const std::string payload = unhex(step["payload_hex"]);
    gateway::v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(payload));
    gateway::v1::EnvelopeHeader h;
    ASSERT_TRUE(h.ParseFromString(env.header()));
    ASSERT_EQ(h.version(), 2u);
    const std::string signed_bytes = "lantaarn/v2/sign" +
                                     u32be(static_cast<uint32_t>(env.header().size())) +
                                     env.header() + env.body();
    auto signature_ok = [&] {
      return crypto_sign_verify_detached(reinterpret_cast<const uint8_t*>(env.signature().data()),
                                         reinterpret_cast<const uint8_t*>(signed_bytes.data()),
                                         signed_bytes.size(), gateway_pk.data()) == 0;
    };
    if (h.kind() == gateway::v1::ENVELOPE_KIND_KEY) {
      ASSERT_TRUE(signature_ok());
      std::string plain(env.body().size() - crypto_box_SEALBYTES, '\0');
      ASSERT_EQ(crypto_box_seal_open(reinterpret_cast<uint8_t*>(plain.data()),
                                     reinterpret_cast<const uint8_t*>(env.body().data()),
                                     env.body().size(), pk.data(), secret.data()),
                0);
      gateway::v1::EpochKey key;
      ASSERT_TRUE(key.ParseFromString(plain));
      ASSERT_EQ(blake2b("lantaarn/v2/key-commitment", key.key()), h.key_commitment());
      epoch_key = key.key();
      nonce_prefix = key.nonce_prefix();
      chain.assign(32, '\0');
    } else if (h.kind() == gateway::v1::ENVELOPE_KIND_DATA) {
      std::string nonce = nonce_prefix;
      for (int shift = 56; shift >= 0; shift -= 8) {
        nonce.push_back(static_cast<char>(h.sequence() >> shift));
      }
      std::string plain(env.body().size() - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
      ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(
                    reinterpret_cast<uint8_t*>(plain.data()), nullptr, nullptr,
                    reinterpret_cast<const uint8_t*>(env.body().data()), env.body().size(),
                    reinterpret_cast<const uint8_t*>(env.header().data()), env.header().size(),
                    reinterpret_cast<const uint8_t*>(nonce.data()),
                    reinterpret_cast<const uint8_t*>(epoch_key.data())),
                0);
      gateway::v1::ActorMessage m;
      ASSERT_TRUE(m.ParseFromString(plain));
      EXPECT_EQ(json::parse(actor::toJson(m)), step["message_json"]);
      ++messages;
    } else {
      ASSERT_EQ(h.kind(), gateway::v1::ENVELOPE_KIND_CHECKPOINT);
      ASSERT_TRUE(signature_ok());
      gateway::v1::Checkpoint cp;
      ASSERT_TRUE(cp.ParseFromString(env.body()));
      checkpoint_matched = cp.chain_head() == chain;
    }
    chain = blake2b(chain + blake2b(payload));  // H_n = BLAKE2b(H_(n-1) || BLAKE2b(payload_n))
  }
  EXPECT_EQ(messages, 3);
  EXPECT_TRUE(checkpoint_matched);
}

}  // namespace
}  // namespace gw
