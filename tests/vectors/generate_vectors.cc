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

// A stream sealed directly by ActorStreamSealer from a chosen start, for the cases that need
// numbers a fresh positions file cannot give (a restart, the replay-window edge, a rollover).
struct Direct {
  Direct(const crypto::IdentityKey& identity, const std::string& site,
         const crypto::SecretKey& actor_key, crypto::StreamStart start,
         crypto::EpochLimits limits = {})
      : sealer(identity, site, crypto::publicHalf(actor_key), start, limits) {}
  // Seals `n` readings for the police and returns the envelopes this produced.
  std::vector<crypto::SealedEnvelope> seal(int n, double first_value) {
    std::vector<crypto::SealedEnvelope> out;
    for (int i = 0; i < n; ++i) {
      plain.push_back(message("police", first_value + i));
      if (!sealer.seal(plain.back(), vectors::kSealedAtMs, &out).ok()) std::abort();
    }
    return out;
  }
  crypto::SealedEnvelope checkpoint() {
    std::vector<crypto::SealedEnvelope> out;
    if (!sealer.checkpoint(vectors::kSealedAtMs + 1000, true, &out).ok() || out.size() != 1) {
      std::abort();
    }
    return out[0];
  }
  crypto::ActorStreamSealer sealer;
  std::vector<gateway::v1::ActorMessage> plain;
};

crypto::StreamStart startAt(uint64_t sequence, uint64_t epoch, gateway::v1::EpochStart reason,
                            uint64_t previous) {
  crypto::StreamStart s;
  s.next_sequence = sequence;
  s.next_epoch = epoch;
  s.reason = reason;
  s.previous_sequence = previous;
  return s;
}

// An envelope with the given header and body, signed by `identity` as the gateway signs.
std::string signedEnvelope(const gateway::v1::EnvelopeHeader& header, const std::string& body,
                           const crypto::IdentityKey& identity) {
  gateway::v1::Envelope env;
  env.set_header(header.SerializeAsString());
  env.set_body(body);
  const std::string bytes = crypto::signedBytes(env.header(), body);
  std::string sig(crypto::kSignatureBytes, '\0');
  crypto_sign_detached(reinterpret_cast<uint8_t*>(sig.data()), nullptr,
                       reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                       identity.secret.data());
  env.set_signature(sig);
  return env.SerializeAsString();
}

std::string sealTo(const gateway::v1::EpochKey& key, const crypto::PublicKey& to) {
  const std::string plain = key.SerializeAsString();
  std::string box(plain.size() + crypto_box_SEALBYTES, '\0');
  crypto_box_seal(reinterpret_cast<uint8_t*>(box.data()),
                  reinterpret_cast<const uint8_t*>(plain.data()), plain.size(), to.bytes.data());
  return box;
}

// A DATA envelope with `payload`'s header whose body is `plain` encrypted under the epoch key: it
// authenticates, whatever `plain` holds.
std::string dataWith(const std::string& payload, const std::string& plain,
                     const gateway::v1::EpochKey& key) {
  gateway::v1::Envelope env;
  env.ParseFromString(payload);
  gateway::v1::EnvelopeHeader h;
  h.ParseFromString(env.header());
  std::string body(plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  const auto nonce = crypto::dataNonce(key.nonce_prefix(), h.sequence());
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<uint8_t*>(body.data()), nullptr,
      reinterpret_cast<const uint8_t*>(plain.data()), plain.size(),
      reinterpret_cast<const uint8_t*>(env.header().data()), env.header().size(), nullptr,
      nonce.data(), reinterpret_cast<const uint8_t*>(key.key().data()));
  env.set_body(body);
  return env.SerializeAsString();
}

std::string messageJson(const gateway::v1::ActorMessage& m) { return actor::toJson(m); }

json step(const std::string& payload, const std::string& expect,
          const json& extra = json::object()) {
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
  auto add = [&](const char* name, const char* description, const char* receiver, const json& steps,
                 const json& options = json::object()) {
    json c{{"name", name}, {"description", description}, {"receiver", receiver}, {"steps", steps}};
    if (!options.empty()) c["receiver_options"] = options;
    cases.push_back(c);
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

  // ---- Every other rejection code and report type (issue 19). Cases below draw on the fixed
  // random stream after the ones above, so adding them left those bytes unchanged. ----
  auto msgOf = [&](const std::string& payload, const gateway::v1::ActorMessage& m,
                   json extra = json::object()) {
    extra["message_json"] = json::parse(messageJson(m));
    return step(payload, "message", extra);
  };
  auto rejected = [&](const std::string& payload, const char* code, json extra = json::object()) {
    extra["reason"] = code;
    return step(payload, "rejected", extra);
  };

  // 10. Non-canonical copies: refused before de-duplication, so the genuine one still counts.
  gateway::v1::Envelope d1;
  d1.ParseFromString(a.envelopes[1].payload);
  const std::string appended = a.envelopes[1].payload + std::string("\x20\x01", 2);
  gateway::v1::Envelope padded = d1;
  padded.set_header(d1.header() + std::string("\x78\x00", 2));  // unknown header field 15
  gateway::v1::Envelope body_first;
  body_first.set_body(d1.body());
  gateway::v1::Envelope header_only;
  header_only.set_header(d1.header());
  const std::string reordered = body_first.SerializeAsString() + header_only.SerializeAsString();
  add("non_canonical",
      "DATA 1 with 2 bytes of an unknown field appended, with an unknown field inside its header, "
      "and with its fields in another order: each is malformed, before de-duplication, so the "
      "genuine DATA 1 is still accepted and a copy after it is malformed, not a duplicate",
      "police",
      {step(a.envelopes[0].payload, "key"), rejected(appended, "malformed"),
       rejected(padded.SerializeAsString(), "malformed"), rejected(reordered, "malformed"),
       msgStep(a, 1), rejected(appended, "malformed")});

  // 11. Other malformed headers.
  const std::string kind0 = withHeader(a.envelopes[1].payload, [](auto& h) { h.set_kind({}); });
  const std::string seq0 = withHeader(a.envelopes[1].payload, [](auto& h) { h.set_sequence(0); });
  gateway::v1::Envelope signed_data = d1;
  signed_data.set_signature(std::string(64, '\x01'));
  add("malformed_header", "kind 0, sequence 0, a DATA envelope with a signature", "police",
      {step(a.envelopes[0].payload, "key"), rejected(kind0, "malformed"),
       rejected(seq0, "malformed"), rejected(signed_data.SerializeAsString(), "malformed")});

  // 12. Another gateway with its own key id.
  crypto::IdentityKey other = identity;
  crypto_sign_seed_keypair(other.public_key.data(), other.secret.data(),
                           vectors::seedFrom(0x71).data());
  other.key_id = crypto::keyIdOf(other.public_key);
  Direct og(other, vectors::kSite, police, startAt(1, 1, gateway::v1::EPOCH_START_FIRST_START, 0));
  const auto og_env = og.seal(1, 1);
  add("wrong_gateway", "a stream from a gateway key that is not pinned", "police",
      {rejected(og_env[0].payload, "wrong_gateway"), rejected(og_env[1].payload, "wrong_gateway")});

  // 13. The pinned gateway speaking for another site than its key file names.
  Direct os(identity, "other-site", police, startAt(1, 1, gateway::v1::EPOCH_START_FIRST_START, 0));
  const auto os_env = os.seal(1, 1);
  add("wrong_site", "the pinned gateway's envelopes for another site", "police",
      {rejected(os_env[0].payload, "wrong_site"), rejected(os_env[1].payload, "wrong_site")});

  // 14. Sealed to another key of the police.
  Direct or_(identity, vectors::kSite, vectors::policeOtherKey(),
             startAt(1, 1, gateway::v1::EPOCH_START_FIRST_START, 0));
  const auto or_env = or_.seal(1, 1);
  add("wrong_recipient", "envelopes sealed to another (rotated) police key", "police",
      {rejected(or_env[0].payload, "wrong_recipient"),
       rejected(or_env[1].payload, "wrong_recipient")});

  // 15. Signed KEY envelopes whose key must still be refused.
  gateway::v1::Envelope k0;
  k0.ParseFromString(a.envelopes[0].payload);
  gateway::v1::EnvelopeHeader kh;
  kh.ParseFromString(k0.header());
  const std::string box_for_ambulance =
      signedEnvelope(kh, sealTo(a.key, publicHalf(ambulance)), identity);
  gateway::v1::EpochKey wrong_epoch = a.key;
  wrong_epoch.set_epoch(a.key.epoch() + 1);
  const std::string fields_differ =
      signedEnvelope(kh, sealTo(wrong_epoch, publicHalf(police)), identity);
  gateway::v1::EpochKey other_key = a.key;
  other_key.set_key(std::string(32, '\x55'));
  const std::string uncommitted =
      signedEnvelope(kh, sealTo(other_key, publicHalf(police)), identity);
  add("bad_key",
      "signed KEY envelopes whose box is sealed to the ambulance, whose EpochKey names another "
      "epoch, or whose key is not the one the signed header commits to: all refused and nothing "
      "installed (DATA 1 then has no key); the genuine KEY then works",
      "police",
      {rejected(box_for_ambulance, "bad_key"), rejected(fields_differ, "bad_key"),
       rejected(uncommitted, "bad_key"), rejected(a.envelopes[1].payload, "unknown_epoch"),
       step(a.envelopes[0].payload, "key"), msgStep(a, 1)});

  // 16. Authentic DATA whose plaintext is not this actor's message.
  const std::string for_ambulance =
      dataWith(a.envelopes[1].payload, message("ambulance", 1).SerializeAsString(), a.key);
  const std::string garbage = dataWith(a.envelopes[2].payload, std::string("\xff\xff", 2), a.key);
  add("bad_plaintext",
      "DATA that authenticates under the epoch key but holds an ActorMessage for the ambulance, "
      "or no ActorMessage at all; rejected envelopes leave no trace in the replay window",
      "police",
      {step(a.envelopes[0].payload, "key"), rejected(for_ambulance, "bad_plaintext"),
       rejected(garbage, "bad_plaintext"), msgStep(a, 1), msgStep(a, 2)});

  // 17, 18. Time limits, with their exact edges.
  add("stale",
      "max_age_ms 1999: DATA sealed 2000 ms ago is stale; at 1999 ms it is accepted. KEY "
      "envelopes have no age limit",
      "police",
      {step(a.envelopes[0].payload, "key"), rejected(a.envelopes[1].payload, "stale"),
       msgOf(a.envelopes[1].payload, a.plain[0], {{"now_unix_ms", vectors::kSealedAtMs + 1999}})},
      {{"max_age_ms", 1999}});
  add("future",
      "DATA stamped 300001 ms ahead of the receiver's clock is refused; 300000 ms ahead is "
      "accepted",
      "police",
      {step(a.envelopes[0].payload, "key"),
       rejected(a.envelopes[1].payload, "future",
                {{"now_unix_ms", vectors::kSealedAtMs - 300'001}}),
       msgOf(a.envelopes[1].payload, a.plain[0],
             {{"now_unix_ms", vectors::kSealedAtMs - 300'000}})});

  // 19. Signed checkpoints with impossible contents.
  gateway::v1::Envelope c4;
  c4.ParseFromString(a.envelopes[4].payload);
  gateway::v1::EnvelopeHeader ch;
  ch.ParseFromString(c4.header());
  gateway::v1::Checkpoint cp;
  cp.ParseFromString(c4.body());
  auto badCp = [&](const std::function<void(gateway::v1::Checkpoint&)>& edit) {
    gateway::v1::Checkpoint c = cp;
    edit(c);
    return rejected(signedEnvelope(ch, c.SerializeAsString(), identity), "malformed");
  };
  add("bad_checkpoint",
      "signed checkpoints with from_sequence 0, a range ending at or after the checkpoint itself, "
      "a last_sequence below from_sequence, another epoch, a 31-byte from_head: malformed",
      "police",
      {step(a.envelopes[0].payload, "key"), badCp([](auto& c) { c.set_from_sequence(0); }),
       badCp([&](auto& c) { c.set_last_sequence(ch.sequence()); }),
       badCp([](auto& c) { c.set_last_sequence(c.from_sequence() - 1); }),
       badCp([](auto& c) { c.set_epoch(c.epoch() + 1); }),
       badCp([](auto& c) { c.set_from_head(std::string(31, '\0')); })});

  // 20. The replay window's edge: a sequence exactly 65,536 below the highest is too old.
  Direct rw(identity, vectors::kSite, police,
            startAt(1, 1, gateway::v1::EPOCH_START_FIRST_START, 0));
  const auto rw1 = rw.seal(2, 1);  // KEY 1, DATA 2, DATA 3
  Direct rw_b(identity, vectors::kSite, police,
              startAt(65538, 2, gateway::v1::EPOCH_START_GATEWAY_START, 65537));
  const auto rw2 = rw_b.seal(1, 3);  // KEY 65538, DATA 65539
  add("replay_window_edge",
      "after KEY 65538, DATA 2 (65,536 below the highest) is replay_too_old and DATA 3 (65,535 "
      "below) is accepted, filling the gap as late; KEY 1 again is replay_too_old, not a "
      "duplicate: the window comes first",
      "police",
      {step(rw1[0].payload, "key"),
       step(rw2[0].payload, "key", {{"reports", {report("gap", 2, 65537, 65536)}}}),
       rejected(rw1[1].payload, "replay_too_old"),
       msgOf(rw1[2].payload, rw.plain[1], {{"reports", {report("late", 3, 3, 0)}}}),
       msgOf(rw2[1].payload, rw_b.plain[0]), rejected(rw1[0].payload, "replay_too_old")});

  // 21. An unclean restart: the skipped numbers are unaccounted; a re-send inside them is no
  // `late`.
  Direct uc(identity, vectors::kSite, police,
            startAt(1, 1, gateway::v1::EPOCH_START_FIRST_START, 0));
  const auto uc1 = uc.seal(2, 1);  // KEY 1, DATA 2, DATA 3
  Direct uc_b(identity, vectors::kSite, police,
              startAt(40, 3, gateway::v1::EPOCH_START_UNCLEAN_START, 39));
  const auto uc2 = uc_b.seal(1, 3);  // KEY 40, DATA 41
  add("unaccounted",
      "DATA 3 is still in the outbox when the gateway crashes; the next run's KEY (sequence 40, "
      "UNCLEAN_START) reports 3..39 as unaccounted; the re-sent DATA 3 is accepted without a "
      "report",
      "police",
      {step(uc1[0].payload, "key"), msgOf(uc1[1].payload, uc.plain[0]),
       step(uc2[0].payload, "key", {{"reports", {report("unaccounted", 3, 39, 37)}}}),
       msgOf(uc1[2].payload, uc.plain[1]), msgOf(uc2[1].payload, uc_b.plain[0])});

  // 22. A gateway without a state directory restarts: a new stream from its clock.
  const uint64_t t0 = static_cast<uint64_t>(vectors::kSealedAtMs);
  Direct ns(identity, vectors::kSite, police,
            startAt(t0 * 1000, t0, gateway::v1::EPOCH_START_NO_STATE, 0));
  const auto ns1 = ns.seal(1, 1);
  Direct ns_b(identity, vectors::kSite, police,
              startAt((t0 + 5000) * 1000, t0 + 5000, gateway::v1::EPOCH_START_NO_STATE, 0));
  const auto ns2 = ns_b.seal(1, 2);
  add("stream_restart",
      "two runs without a state directory, 5 s apart: the second KEY is a stream_restart, not a "
      "gap of 4,999,999 numbers",
      "police",
      {step(ns1[0].payload, "key"), msgOf(ns1[1].payload, ns.plain[0]),
       step(ns2[0].payload, "key",
            {{"reports", {report("stream_restart", ns2[0].sequence, ns2[0].sequence, 0)}}}),
       msgOf(ns2[1].payload, ns_b.plain[0])});

  // 23. Consecutive checkpoints: the second starts at the first and from its chain head.
  Direct cc(identity, vectors::kSite, police,
            startAt(1, 1, gateway::v1::EPOCH_START_FIRST_START, 0));
  auto cc1 = cc.seal(2, 1);        // KEY 1, DATA 2, DATA 3
  cc1.push_back(cc.checkpoint());  // CHECKPOINT 4: 1..3, from_head zero
  auto cc2 = cc.seal(2, 3);        // DATA 5, DATA 6
  cc2.push_back(cc.checkpoint());  // CHECKPOINT 7: 4..6, from_head = H_3 (not zero)
  add("consecutive_checkpoints",
      "checkpoint 7 covers 4..6 (checkpoint 4 itself opens its range) from a non-zero from_head",
      "police",
      {step(cc1[0].payload, "key"), msgOf(cc1[1].payload, cc.plain[0]),
       msgOf(cc1[2].payload, cc.plain[1]),
       step(cc1[3].payload, "checkpoint", {{"reports", {report("checkpoint_verified", 1, 3, 0)}}}),
       msgOf(cc2[0].payload, cc.plain[2]), msgOf(cc2[1].payload, cc.plain[3]),
       step(cc2[2].payload, "checkpoint",
            {{"reports", {report("checkpoint_verified", 4, 6, 0)}}})});

  // 24. A rollover to a second epoch (4 envelopes an epoch).
  crypto::EpochLimits four;
  four.max_messages = 4;
  Direct ro(identity, vectors::kSite, police,
            startAt(1, 1, gateway::v1::EPOCH_START_FIRST_START, 0), four);
  auto roe = ro.seal(3, 1);  // KEY 1, DATA 2, DATA 3, final CHECKPOINT 4, KEY 5 (epoch 2), DATA 6
  roe.push_back(ro.checkpoint());  // CHECKPOINT 7: 5..6
  if (roe.size() != 7) std::abort();
  add("second_epoch",
      "epoch 1 ends with a final checkpoint; epoch 2's KEY (ROLLOVER) follows without a gap and "
      "its chain starts from zero again",
      "police",
      {step(roe[0].payload, "key"), msgOf(roe[1].payload, ro.plain[0]),
       msgOf(roe[2].payload, ro.plain[1]),
       step(roe[3].payload, "checkpoint", {{"reports", {report("checkpoint_verified", 1, 3, 0)}}}),
       step(roe[4].payload, "key"), msgOf(roe[5].payload, ro.plain[2]),
       step(roe[6].payload, "checkpoint",
            {{"reports", {report("checkpoint_verified", 5, 6, 0)}}})});

  // 25. A late joiner: the retained KEY, then the stream from where it joined.
  Direct lj(identity, vectors::kSite, police,
            startAt(1, 1, gateway::v1::EPOCH_START_FIRST_START, 0));
  auto lj1 = lj.seal(3, 1);        // KEY 1, DATA 2, DATA 3, DATA 4
  lj1.push_back(lj.checkpoint());  // CHECKPOINT 5: 1..4
  auto lj2 = lj.seal(1, 4);        // DATA 6
  lj2.push_back(lj.checkpoint());  // CHECKPOINT 7: 5..6
  add("late_joiner",
      "subscribing after DATA 2: the retained KEY installs the key without starting the stream; "
      "the stream starts at DATA 3 (no gap before it); checkpoint 5 began before that and is not "
      "checked; checkpoint 7 verifies; the retained KEY again is a duplicate; DATA 2 re-sent "
      "later is accepted without a report",
      "police",
      {step(lj1[0].payload, "key", {{"retained", true}}), msgOf(lj1[2].payload, lj.plain[1]),
       msgOf(lj1[3].payload, lj.plain[2]), step(lj1[4].payload, "checkpoint"),
       msgOf(lj2[0].payload, lj.plain[3]),
       step(lj2[1].payload, "checkpoint", {{"reports", {report("checkpoint_verified", 5, 6, 0)}}}),
       step(lj1[0].payload, "duplicate", {{"retained", true}}),
       msgOf(lj1[1].payload, lj.plain[0])});

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
       "for site_id, with `receiver_options` (max_age_ms: 0 or absent means no age limit; "
       "max_future_ms is 300000; the replay window is 65536), and uses now_unix_ms as its clock "
       "unless the step has its own now_unix_ms. `retained: true` means the broker delivered the "
       "step as a retained message. `expect` is key | message | checkpoint | duplicate | "
       "rejected; `reason` is the rejection code; `reports` lists the reports (gap, late, "
       "unaccounted, stream_restart, checkpoint_verified, checkpoint_incomplete, "
       "checkpoint_mismatch) the step must produce, in order (none when absent). The algorithm: "
       "docs/ACTORS.md section 6."},
      {"cases", cases}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
