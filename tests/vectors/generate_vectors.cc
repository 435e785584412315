// Writes tests/vectors/envelope_v2.json: envelopes made by the gateway's sealer with the fixed
// test keys of vector_keys.h and libsodium's randomness replaced by a fixed stream, so the output
// is the same on every run. The expected outcomes are written here by hand from the format's
// rules (proto/gateway/v1/envelope.proto), not taken from the receiver.
//
//   build/dev/tests/generate_test_vectors > tests/vectors/envelope_v2.json
#include <sodium.h>

#include <google/protobuf/util/json_util.h>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>

#include <nlohmann/json.hpp>

#include "gateway/actor/actor_subscriber.h"
#include "gateway/crypto/gateway_sealer.h"
#include "tests/vectors/vector_keys.h"

namespace {

using nlohmann::json;
using namespace gw;

// A deterministic replacement for libsodium's randombytes: BLAKE2b of a counter. Test only.
uint64_t g_counter = 0;
void fixedBuf(void* buf, size_t size) {
  auto* out = static_cast<uint8_t*>(buf);
  while (size > 0) {
    uint8_t block[64];
    const uint64_t n = g_counter++;
    crypto_generichash(block, sizeof block, reinterpret_cast<const uint8_t*>(&n), sizeof n, nullptr,
                       0);
    const size_t take = size < sizeof block ? size : sizeof block;
    std::memcpy(out, block, take);
    out += take;
    size -= take;
  }
}
uint32_t fixedRandom() {
  uint32_t v;
  fixedBuf(&v, sizeof v);
  return v;
}
const char* fixedName() { return "lantaarn-test-vectors"; }
randombytes_implementation g_fixed = {fixedName, fixedRandom, nullptr, nullptr, fixedBuf, nullptr};

std::string hex(const std::string& bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const uint8_t*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

std::string b64(const uint8_t* data, size_t len) {
  std::string out(sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, len, sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();
  return out;
}

gateway::v1::ActorMessage message(const std::string& actor, double value) {
  gateway::v1::ActorMessage m;
  m.set_site_id(vectors::kSite);
  m.set_actor_id(actor);
  m.set_route_id("route-0");
  m.set_purpose("public_order");
  m.set_produced_unix_ms(vectors::kSealedAtMs);
  auto* r = m.mutable_measurement();
  r->set_source_id("pm");
  r->set_quantity("pm10");
  r->set_unit("ug/m3");
  r->set_value(value);
  return m;
}

// One fresh sealer (one stream: KEY, DATA x n, CHECKPOINT) per case, for the police.
struct Stream {
  std::vector<crypto::SealedEnvelope> envelopes;  // KEY, D1..Dn, CHECKPOINT
  std::vector<gateway::v1::ActorMessage> plain;
  gateway::v1::EpochKey key;
};

Stream makeStream(int n, const crypto::IdentityKey& identity) {
  // A fresh positions file: each stream starts at sequence 1, epoch 1, not at the clock.
  crypto::SealerOptions options;
  options.positions_file = std::filesystem::temp_directory_path() / "lantaarn-vectors-streams";
  std::filesystem::remove(options.positions_file);
  auto sealer = crypto::GatewaySealer::open(identity, vectors::kSite, options);
  const auto police = vectors::policeKey();
  (*sealer)->setActors({{"police", crypto::publicHalf(police)}});
  Stream s;
  for (int i = 1; i <= n; ++i) {
    s.plain.push_back(message("police", 10.0 * i));
    if (!(*sealer)->seal("police", s.plain.back(), vectors::kSealedAtMs, &s.envelopes).ok()) {
      std::abort();
    }
  }
  std::vector<std::pair<std::string, crypto::SealedEnvelope>> cps;
  if (!(*sealer)->checkpoints(vectors::kSealedAtMs + 1000, true, &cps).ok()) std::abort();
  for (auto& [actor, e] : cps) s.envelopes.push_back(std::move(e));
  // Recover the epoch key the way the actor does, to build the forgery case.
  auto key_env = crypto::parseEnvelope(s.envelopes[0].payload);
  const std::string& box = key_env->envelope.body();
  std::string plain(box.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<uint8_t*>(plain.data()),
                           reinterpret_cast<const uint8_t*>(box.data()), box.size(),
                           police.public_key.data(), police.secret.data()) != 0) {
    std::abort();
  }
  s.key.ParseFromString(plain);
  std::filesystem::remove(options.positions_file);
  return s;
}

std::string messageJson(const gateway::v1::ActorMessage& m) { return actor::toJson(m); }

json step(const std::string& payload, const std::string& expect, json extra = json::object()) {
  json s{{"payload_hex", hex(payload)}, {"expect", expect}};
  s.update(extra);
  return s;
}

json report(const char* type, uint64_t from, uint64_t to, uint64_t missing) {
  return {{"type", type}, {"from", from}, {"to", to}, {"missing", missing}};
}

std::string withHeader(const std::string& payload,
                       const std::function<void(gateway::v1::EnvelopeHeader&)>& edit) {
  auto parsed = crypto::parseEnvelope(payload);
  edit(parsed->header);
  parsed->envelope.set_header(parsed->header.SerializeAsString());
  return parsed->envelope.SerializeAsString();
}

}  // namespace

int main() {
  randombytes_set_implementation(&g_fixed);
  if (sodium_init() < 0) return 1;
  const auto identity = vectors::gatewayKey();
  const auto police = vectors::policeKey();
  const auto ambulance = vectors::ambulanceKey();
  const int64_t now = vectors::kSealedAtMs + 2000;

  json cases = json::array();
  auto add = [&](const char* name, const char* description, const char* receiver, json steps) {
    cases.push_back(
        {{"name", name}, {"description", description}, {"receiver", receiver}, {"steps", steps}});
  };
  auto msgStep = [&](const Stream& s, int i) {
    return step(s.envelopes[i].payload, "message",
                {{"message_json", json::parse(messageJson(s.plain[i - 1]))}});
  };

  // 1. A whole valid stream.
  Stream a = makeStream(3, identity);
  const uint64_t k = a.envelopes[0].sequence;
  add("valid_stream",
      "KEY, three DATA and a CHECKPOINT: every message opens, the checkpoint verifies", "police",
      {step(a.envelopes[0].payload, "key"), msgStep(a, 1), msgStep(a, 2), msgStep(a, 3),
       step(a.envelopes[4].payload, "checkpoint",
            {{"reports", {report("checkpoint_verified", k, k + 3, 0)}}})});

  // 2. Replay.
  add("replay", "the same DATA twice: the second is a duplicate, dropped", "police",
      {step(a.envelopes[0].payload, "key"), msgStep(a, 1),
       step(a.envelopes[1].payload, "duplicate")});

  // 3. Gap, then the late arrival.
  add("gap_then_late", "DATA 2 arrives after DATA 3: a gap is reported, then filled as late",
      "police",
      {step(a.envelopes[0].payload, "key"), msgStep(a, 1),
       step(a.envelopes[3].payload, "message",
            {{"message_json", json::parse(messageJson(a.plain[2]))},
             {"reports", {report("gap", k + 2, k + 2, 1)}}}),
       step(a.envelopes[2].payload, "message",
            {{"message_json", json::parse(messageJson(a.plain[1]))},
             {"reports", {report("late", k + 2, k + 2, 0)}}})});

  // 4. Proven missing.
  add("checkpoint_incomplete", "DATA 2 never arrives; the signed checkpoint proves it was sent",
      "police",
      {step(a.envelopes[0].payload, "key"), msgStep(a, 1),
       step(a.envelopes[3].payload, "message",
            {{"message_json", json::parse(messageJson(a.plain[2]))},
             {"reports", {report("gap", k + 2, k + 2, 1)}}}),
       step(a.envelopes[4].payload, "checkpoint",
            {{"reports", {report("checkpoint_incomplete", k, k + 3, 1)}}})});

  // 5. Tampering, each kind of field.
  const std::string later =
      withHeader(a.envelopes[1].payload, [](auto& h) { h.set_sent_unix_ms(h.sent_unix_ms() + 1); });
  std::string bad_body = a.envelopes[1].payload;
  bad_body.back() = static_cast<char>(bad_body.back() ^ 0x01);  // the tag's last byte
  const std::string bad_seq =
      withHeader(a.envelopes[1].payload, [](auto& h) { h.set_sequence(h.sequence() + 100); });
  std::string bad_sig = a.envelopes[0].payload;
  bad_sig.back() = static_cast<char>(bad_sig.back() ^ 0x80);
  const std::string bad_cp =
      withHeader(a.envelopes[4].payload, [](auto& h) { h.set_sent_unix_ms(h.sent_unix_ms() - 1); });
  add("tampered",
      "a changed header time, a changed sequence, a flipped tag bit, a flipped signature bit on "
      "the KEY and a changed CHECKPOINT header are all refused",
      "police",
      {step(bad_sig, "rejected", {{"reason", "bad_signature"}}),
       step(a.envelopes[0].payload, "key"),
       step(later, "rejected", {{"reason", "authentication_failed"}}),
       step(bad_seq, "rejected", {{"reason", "authentication_failed"}}),
       step(bad_body, "rejected", {{"reason", "authentication_failed"}}),
       step(bad_cp, "rejected", {{"reason", "bad_signature"}}), msgStep(a, 1)});

  // 6. Not for this receiver.
  add("wrong_actor", "police's envelopes offered to the ambulance", "ambulance",
      {step(a.envelopes[0].payload, "rejected", {{"reason", "wrong_actor"}}),
       step(a.envelopes[1].payload, "rejected", {{"reason", "wrong_actor"}})});

  // 7. A second gateway (another identity) claiming the first one's key id.
  crypto::IdentityKey forger = identity;
  const auto forger_seed = vectors::seedFrom(0x61);
  crypto_sign_seed_keypair(forger.public_key.data(), forger.secret.data(), forger_seed.data());
  Stream f = makeStream(1, forger);
  add("forged_gateway", "a KEY signed by another gateway key is refused; its DATA cannot open",
      "police",
      {step(f.envelopes[0].payload, "rejected", {{"reason", "bad_signature"}}),
       step(f.envelopes[1].payload, "rejected", {{"reason", "unknown_epoch"}})});

  // 8. Forged with the epoch key: authenticates, but the signed chain exposes it.
  gateway::v1::Envelope forged;
  forged.ParseFromString(a.envelopes[2].payload);
  gateway::v1::EnvelopeHeader fh;
  fh.ParseFromString(forged.header());
  const std::string fake = message("police", 999999).SerializeAsString();
  std::string body(fake.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  const auto nonce = crypto::dataNonce(a.key.nonce_prefix(), fh.sequence());
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<uint8_t*>(body.data()), nullptr,
      reinterpret_cast<const uint8_t*>(fake.data()), fake.size(),
      reinterpret_cast<const uint8_t*>(forged.header().data()), forged.header().size(), nullptr,
      nonce.data(), reinterpret_cast<const uint8_t*>(a.key.key().data()));
  forged.set_body(body);
  add("forged_with_epoch_key",
      "DATA 2 replaced by one made with the epoch key (as only the actor itself could): it opens, "
      "but the checkpoint does not match",
      "police",
      {step(a.envelopes[0].payload, "key"), msgStep(a, 1),
       step(forged.SerializeAsString(), "message",
            {{"message_json", json::parse(messageJson(message("police", 999999)))}}),
       msgStep(a, 3),
       step(a.envelopes[4].payload, "checkpoint",
            {{"reports", {report("checkpoint_mismatch", k, k + 3, 0)}}})});

  // 9. Malformed input.
  const std::string v3 = withHeader(a.envelopes[1].payload, [](auto& h) { h.set_version(3); });
  add("malformed", "garbage, a truncated envelope, an unknown version", "police",
      {step("\x0a\xff\xff", "rejected", {{"reason", "malformed"}}),
       step(a.envelopes[1].payload.substr(0, 20), "rejected", {{"reason", "malformed"}}),
       step(v3, "rejected", {{"reason", "malformed"}}),
       step(a.envelopes[1].payload, "rejected", {{"reason", "unknown_epoch"}})});

  json out{
      {"format", "Lantaarn envelope format 2 test vectors (proto/gateway/v1/envelope.proto)"},
      {"warning", "TEST KEYS ONLY: the secret keys below are public; never use them"},
      {"site_id", vectors::kSite},
      {"now_unix_ms", now},
      {"gateway",
       {{"key_id", identity.key_id},
        {"public_key_b64", b64(identity.public_key.data(), 32)},
        {"seed_b64", b64(vectors::seedFrom(0x01).data(), 32)}}},
      {"actors",
       {{"police",
         {{"key_id", police.key_id},
          {"public_key_b64", b64(police.public_key.data(), 32)},
          {"secret_key_b64", b64(police.secret.data(), 32)}}},
        {"ambulance",
         {{"key_id", ambulance.key_id},
          {"public_key_b64", b64(ambulance.public_key.data(), 32)},
          {"secret_key_b64", b64(ambulance.secret.data(), 32)}}}}},
      {"rules",
       "Feed each case's steps, in order, to a fresh receiver for `receiver` that pins `gateway` "
       "and uses now_unix_ms as its clock. `expect` is key | message | checkpoint | duplicate | "
       "rejected; `reason` is the rejection code; `reports` lists gap, late, checkpoint_* "
       "reports the step must produce (none when absent)."},
      {"cases", cases}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
