// The envelope end to end without a network: the gateway's sealer against the actor's receiver.
#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <set>
#include <thread>

#include "gateway/actor/envelope_receiver.h"
#include "gateway/crypto/gateway_sealer.h"
#include "tests/support/temp_dir.h"

namespace gw {
namespace {

using actor::EnvelopeReceiver;
using actor::Report;
using actor::Verdict;
using crypto::SealedEnvelope;

constexpr int64_t kNow = 1'780'000'000'000;

gateway::v1::ActorMessage reading(const std::string& actor, double value) {
  gateway::v1::ActorMessage m;
  m.set_site_id("site");
  m.set_actor_id(actor);
  m.set_route_id("r");
  m.mutable_measurement()->set_quantity("pm10");
  m.mutable_measurement()->set_value(value);
  return m;
}

std::unique_ptr<crypto::GatewaySealer> openSealer(const crypto::IdentityKey& identity,
                                                  crypto::SealerOptions options = {}) {
  auto sealer = crypto::GatewaySealer::open(identity, "site", std::move(options));
  EXPECT_TRUE(sealer.ok()) << sealer.status().toString();
  return std::move(sealer).value();
}

class EnvelopeTest : public ::testing::Test {
 protected:
  EnvelopeTest() {
    sealer_ = openSealer(identity_);
    sealer_->setActors(
        {{"police", crypto::publicHalf(police_)}, {"ambulance", crypto::publicHalf(ambulance_)}});
  }

  actor::ReceiverIdentity as(const crypto::SecretKey& key) const {
    return {"site", key.actor, key, {crypto::identityPublicHalf(identity_)}};
  }
  // An actor in the middle of a key rotation: it holds the new key and the old one.
  actor::ReceiverIdentity asRotating(const crypto::SecretKey& key,
                                     const crypto::SecretKey& previous) const {
    auto identity = as(key);
    identity.previous_keys = {previous};
    return identity;
  }

  // The policy reload that gives police `key`, as gatewayd's sealing sink applies it: the new
  // epoch begins at once. Returns police's envelopes of it (the old epoch's final CHECKPOINT and
  // the new KEY).
  std::vector<SealedEnvelope> rotatePolice(const crypto::SecretKey& key, int64_t now = kNow) {
    sealer_->setActors(
        {{"police", crypto::publicHalf(key)}, {"ambulance", crypto::publicHalf(ambulance_)}});
    std::vector<std::pair<std::string, SealedEnvelope>> begun;
    EXPECT_TRUE(sealer_->beginRekeyedEpochs(now, &begun).ok());
    std::vector<SealedEnvelope> out;
    for (auto& [actor, envelope] : begun) {
      EXPECT_EQ(actor, "police");
      out.push_back(std::move(envelope));
    }
    return out;
  }

  // Seals `count` readings for `actor`, returning every envelope in publishing order.
  std::vector<SealedEnvelope> seal(const std::string& actor, int count, int64_t now = kNow) {
    std::vector<SealedEnvelope> out;
    for (int i = 0; i < count; ++i) {
      EXPECT_TRUE(sealer_->seal(actor, reading(actor, next_value_++), now, &out).ok());
    }
    return out;
  }

  std::vector<SealedEnvelope> checkpoint(int64_t now = kNow + 2000) {
    std::vector<std::pair<std::string, SealedEnvelope>> due;
    EXPECT_TRUE(sealer_->checkpoints(now, false, &due).ok());
    std::vector<SealedEnvelope> out;
    for (auto& [actor, envelope] : due) {
      if (actor == "police") out.push_back(std::move(envelope));
    }
    return out;
  }

  crypto::IdentityKey identity_ = crypto::generateIdentityKey("site");
  crypto::SecretKey police_ = crypto::generateKeyPair("police");
  crypto::SecretKey ambulance_ = crypto::generateKeyPair("ambulance");
  std::unique_ptr<crypto::GatewaySealer> sealer_;
  double next_value_ = 1;
};

TEST_F(EnvelopeTest, TheAddressedActorGetsEveryMessageInOrderAndTheCheckpointVerifies) {
  auto envelopes = seal("police", 5);
  ASSERT_EQ(envelopes.size(), 6u);  // the epoch's KEY, then 5 DATA
  EXPECT_EQ(envelopes[0].kind, gateway::v1::ENVELOPE_KIND_KEY);
  for (auto& cp : checkpoint()) envelopes.push_back(std::move(cp));
  ASSERT_EQ(envelopes.back().kind, gateway::v1::ENVELOPE_KIND_CHECKPOINT);

  EnvelopeReceiver receiver(as(police_));
  std::vector<double> values;
  std::vector<Report> reports;
  for (const auto& e : envelopes) {
    auto r = receiver.receive(e.payload, kNow);
    ASSERT_NE(r.verdict, Verdict::kRejected) << r.reason;
    if (r.verdict == Verdict::kMessage) values.push_back(r.message.measurement().value());
    reports.insert(reports.end(), r.reports.begin(), r.reports.end());
  }
  EXPECT_EQ(values, (std::vector<double>{1, 2, 3, 4, 5}));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].type, Report::Type::kCheckpointVerified);
  EXPECT_EQ(reports[0].to - reports[0].from + 1, 6u);
  EXPECT_EQ(receiver.stats().checkpoints_verified, 1u);
}

TEST_F(EnvelopeTest, CiphertextHidesThePlaintext) {
  auto envelopes = seal("police", 1);
  gateway::v1::ActorMessage m = reading("police", 0);
  m.mutable_measurement()->set_quantity("a-very-recognisable-quantity");
  std::vector<SealedEnvelope> out;
  ASSERT_TRUE(sealer_->seal("police", m, kNow, &out).ok());
  EXPECT_EQ(out.back().payload.find("a-very-recognisable-quantity"), std::string::npos);
}

TEST_F(EnvelopeTest, AnotherActorsKeyOpensNothing) {
  auto envelopes = seal("police", 3);
  EnvelopeReceiver ambulance(as(ambulance_));
  for (const auto& e : envelopes) {
    auto r = ambulance.receive(e.payload, kNow);
    EXPECT_EQ(r.verdict, Verdict::kRejected);
    EXPECT_EQ(r.reason.rfind("wrong_actor", 0), 0u) << r.reason;
  }
  // Claiming to be police with the wrong secret: the key box does not open, so nothing does.
  crypto::SecretKey impostor = crypto::generateKeyPair("police");
  impostor.key_id = police_.key_id;
  EnvelopeReceiver thief(as(impostor));
  EXPECT_EQ(thief.receive(envelopes[0].payload, kNow).reason.rfind("bad_key", 0), 0u);
  EXPECT_EQ(thief.receive(envelopes[1].payload, kNow).reason.rfind("unknown_epoch", 0), 0u);
  EXPECT_EQ(thief.stats().messages, 0u);
}

TEST_F(EnvelopeTest, EveryFlippedBitOfEveryKindIsRejected) {
  auto envelopes = seal("police", 2);
  for (auto& cp : checkpoint()) envelopes.push_back(std::move(cp));
  ASSERT_EQ(envelopes.size(), 4u);  // KEY, DATA, DATA, CHECKPOINT
  for (size_t which = 0; which < envelopes.size(); ++which) {
    // A receiver that has everything before this envelope, so only the flip can make it fail.
    EnvelopeReceiver receiver(as(police_));
    for (size_t i = 0; i < which; ++i) {
      ASSERT_NE(receiver.receive(envelopes[i].payload, kNow).verdict, Verdict::kRejected);
    }
    const std::string& good = envelopes[which].payload;
    for (size_t bit = 0; bit < good.size() * 8; ++bit) {
      std::string bad = good;
      bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
      auto r = receiver.receive(bad, kNow);
      ASSERT_EQ(r.verdict, Verdict::kRejected)
          << "envelope " << which << " accepted with bit " << bit << " flipped";
    }
    EXPECT_NE(receiver.receive(good, kNow).verdict, Verdict::kRejected);
  }
}

TEST_F(EnvelopeTest, ReplaysAreDroppedAndReorderingAndGapsAreReported) {
  auto e = seal("police", 4);  // KEY, D1..D4 at sequences s..s+4
  EnvelopeReceiver receiver(as(police_));
  ASSERT_EQ(receiver.receive(e[0].payload, kNow).verdict, Verdict::kKey);
  ASSERT_EQ(receiver.receive(e[1].payload, kNow).verdict, Verdict::kMessage);
  EXPECT_EQ(receiver.receive(e[1].payload, kNow).verdict, Verdict::kDuplicate);
  auto jumped = receiver.receive(e[3].payload, kNow);  // D3 before D2
  ASSERT_EQ(jumped.verdict, Verdict::kMessage);
  ASSERT_EQ(jumped.reports.size(), 1u);
  EXPECT_EQ(jumped.reports[0].type, Report::Type::kGap);
  EXPECT_EQ(jumped.reports[0].from, e[2].sequence);
  EXPECT_EQ(jumped.reports[0].missing, 1u);
  auto late = receiver.receive(e[2].payload, kNow);
  ASSERT_EQ(late.verdict, Verdict::kMessage);
  ASSERT_EQ(late.reports.size(), 1u);
  EXPECT_EQ(late.reports[0].type, Report::Type::kLate);
  EXPECT_EQ(receiver.receive(e[2].payload, kNow).verdict, Verdict::kDuplicate);
  EXPECT_EQ(receiver.stats().messages, 3u);
  EXPECT_EQ(receiver.stats().duplicates, 2u);
  EXPECT_EQ(receiver.stats().missing, 0u);  // the gap was filled
}

TEST_F(EnvelopeTest, ACheckpointProvesWhatNeverArrived) {
  auto e = seal("police", 5);
  auto cp = checkpoint();
  ASSERT_EQ(cp.size(), 1u);
  EnvelopeReceiver receiver(as(police_));
  for (size_t i = 0; i < e.size(); ++i) {
    if (i == 2 || i == 5) continue;  // two lost on the way, the last one at the tail
    ASSERT_NE(receiver.receive(e[i].payload, kNow).verdict, Verdict::kRejected);
  }
  auto r = receiver.receive(cp[0].payload, kNow);
  ASSERT_EQ(r.verdict, Verdict::kCheckpoint);
  ASSERT_FALSE(r.reports.empty());
  EXPECT_EQ(r.reports.back().type, Report::Type::kCheckpointIncomplete);
  EXPECT_EQ(r.reports.back().missing, 2u);
}

TEST_F(EnvelopeTest, AMessageForgedWithTheEpochKeyFailsTheSignedChain) {
  // The actor holds its epoch key, so it can make DATA that authenticates; the gateway's signed
  // chain is what shows a third party that the gateway never sent it.
  auto e = seal("police", 3);
  auto cp = checkpoint();
  auto key_env = crypto::parseEnvelope(e[0].payload);
  ASSERT_TRUE(key_env.ok());
  const std::string& box = key_env->envelope.body();
  std::string plain(box.size() - crypto_box_SEALBYTES, '\0');
  ASSERT_EQ(crypto_box_seal_open(reinterpret_cast<uint8_t*>(plain.data()),
                                 reinterpret_cast<const uint8_t*>(box.data()), box.size(),
                                 police_.public_key.data(), police_.secret.data()),
            0);
  gateway::v1::EpochKey epoch_key;
  ASSERT_TRUE(epoch_key.ParseFromString(plain));

  auto victim = crypto::parseEnvelope(e[2].payload);
  ASSERT_TRUE(victim.ok());
  const std::string fake = reading("police", 1e6).SerializeAsString();
  std::string body(fake.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  const auto nonce = crypto::dataNonce(epoch_key.nonce_prefix(), victim->header.sequence());
  const std::string& ad = victim->envelope.header();
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<uint8_t*>(body.data()), nullptr,
      reinterpret_cast<const uint8_t*>(fake.data()), fake.size(),
      reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), nullptr, nonce.data(),
      reinterpret_cast<const uint8_t*>(epoch_key.key().data()));
  gateway::v1::Envelope forged = victim->envelope;
  forged.set_body(body);

  EnvelopeReceiver receiver(as(police_));
  for (size_t i = 0; i < e.size(); ++i) {
    auto r = receiver.receive(i == 2 ? forged.SerializeAsString() : e[i].payload, kNow);
    ASSERT_NE(r.verdict, Verdict::kRejected) << r.reason;  // the forgery authenticates...
  }
  auto r = receiver.receive(cp[0].payload, kNow);
  ASSERT_FALSE(r.reports.empty());
  EXPECT_EQ(r.reports.back().type, Report::Type::kCheckpointMismatch);  // ...but is exposed
}

TEST_F(EnvelopeTest, EpochsRollOverByCountWithAFinalCheckpointAndAFreshKey) {
  crypto::SealerOptions options;
  options.epoch.max_messages = 16;
  sealer_ = openSealer(identity_, options);
  sealer_->setActors({{"police", crypto::publicHalf(police_)}});
  auto e = seal("police", 40);
  int keys = 0, finals = 0;
  for (const auto& x : e) keys += x.kind == gateway::v1::ENVELOPE_KIND_KEY;
  for (const auto& x : e) finals += x.kind == gateway::v1::ENVELOPE_KIND_CHECKPOINT;
  EXPECT_GE(keys, 3);
  EXPECT_EQ(finals, keys - 1);
  EnvelopeReceiver receiver(as(police_));
  std::vector<Report> reports;
  for (const auto& x : e) {
    auto r = receiver.receive(x.payload, kNow);
    ASSERT_NE(r.verdict, Verdict::kRejected) << r.reason;
    reports.insert(reports.end(), r.reports.begin(), r.reports.end());
  }
  EXPECT_EQ(receiver.stats().messages, 40u);
  EXPECT_EQ(receiver.stats().checkpoints_verified, static_cast<uint64_t>(finals));
  for (const auto& report : reports) EXPECT_EQ(report.type, Report::Type::kCheckpointVerified);
}

TEST_F(EnvelopeTest, EpochsRollOverByAge) {
  auto first = seal("police", 1, kNow);
  auto later = seal("police", 1, kNow + 3'600'000);  // the default max_age: 1 h
  ASSERT_GE(later.size(), 3u);
  EXPECT_EQ(later[0].kind, gateway::v1::ENVELOPE_KIND_CHECKPOINT);
  EXPECT_EQ(later[1].kind, gateway::v1::ENVELOPE_KIND_KEY);
}

// Key rotation (issue 23; docs/KEYS.md "Rotating an actor's key"). A reload with a new key
// closes the running epoch with its final checkpoint, still addressed to the old key, and begins
// the next epoch at once, sealed to the new key.
TEST_F(EnvelopeTest, AChangedKeyClosesTheOldEpochAndBeginsTheNextOneSealedToTheNewKey) {
  auto before = seal("police", 3);
  const crypto::SecretKey rotated = crypto::generateKeyPair("police");
  auto begun = rotatePolice(rotated);
  ASSERT_EQ(begun.size(), 2u);
  auto last = crypto::parseEnvelope(begun[0].payload);
  auto key = crypto::parseEnvelope(begun[1].payload);
  ASSERT_TRUE(last.ok() && key.ok());
  gateway::v1::Checkpoint final_checkpoint;
  ASSERT_TRUE(final_checkpoint.ParseFromString(last->envelope.body()));
  EXPECT_TRUE(final_checkpoint.final());
  EXPECT_EQ(last->header.recipient_key_id(), police_.key_id);
  EXPECT_EQ(last->header.sequence(), before.back().sequence + 1);
  EXPECT_EQ(key->header.kind(), gateway::v1::ENVELOPE_KIND_KEY);
  EXPECT_EQ(key->header.recipient_key_id(), rotated.key_id);
  EXPECT_EQ(key->header.epoch_start(), gateway::v1::EPOCH_START_KEY_CHANGED);
  EXPECT_EQ(key->header.epoch(), last->header.epoch() + 1);
  EXPECT_EQ(key->header.sequence(), last->header.sequence() + 1);
  EXPECT_EQ(key->header.previous_sequence(), last->header.sequence());

  // What is sealed next is DATA of the new epoch only; nothing sealed before was touched.
  auto after = seal("police", 2);
  ASSERT_EQ(after.size(), 2u);
  for (const auto& e : after) {
    auto parsed = crypto::parseEnvelope(e.payload);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->header.kind(), gateway::v1::ENVELOPE_KIND_DATA);
    EXPECT_EQ(parsed->header.recipient_key_id(), rotated.key_id);
    EXPECT_EQ(parsed->header.epoch(), key->header.epoch());
  }
  // The same key again, or no reload at all: no further epoch.
  EXPECT_TRUE(rotatePolice(rotated).empty());
}

// Without the at-once begin (GatewaySealer used alone) the next seal does the same, in order.
TEST_F(EnvelopeTest, AChangedKeyTakesEffectWithTheNextSealWhenNotBegunAtOnce) {
  seal("police", 2);
  const crypto::SecretKey rotated = crypto::generateKeyPair("police");
  sealer_->setActors(
      {{"police", crypto::publicHalf(rotated)}, {"ambulance", crypto::publicHalf(ambulance_)}});
  auto after = seal("police", 1);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].kind, gateway::v1::ENVELOPE_KIND_CHECKPOINT);
  EXPECT_EQ(after[1].kind, gateway::v1::ENVELOPE_KIND_KEY);
  EXPECT_EQ(after[2].kind, gateway::v1::ENVELOPE_KIND_DATA);
  EnvelopeReceiver receiver(as(rotated));
  EXPECT_EQ(receiver.receive(after[1].payload, kNow).verdict, Verdict::kKey);
  EXPECT_EQ(receiver.receive(after[2].payload, kNow).verdict, Verdict::kMessage);
}

// Changed and changed back before anything was sealed to the other key: no epoch for it. A
// stream that has sealed nothing yet simply starts with the new key, for its own start reason.
TEST_F(EnvelopeTest, AKeyChangedBackOrChangedBeforeTheFirstMessageBeginsNoExtraEpoch) {
  seal("police", 1);
  const crypto::SecretKey rotated = crypto::generateKeyPair("police");
  sealer_->setActors(
      {{"police", crypto::publicHalf(rotated)}, {"ambulance", crypto::publicHalf(ambulance_)}});
  EXPECT_TRUE(rotatePolice(police_).empty());
  ASSERT_EQ(seal("police", 1).size(), 1u);  // DATA of the running epoch

  const crypto::SecretKey ambulance_new = crypto::generateKeyPair("ambulance");
  sealer_->setActors(
      {{"police", crypto::publicHalf(police_)}, {"ambulance", crypto::publicHalf(ambulance_new)}});
  auto first = seal("ambulance", 1);
  ASSERT_EQ(first.size(), 2u);
  auto key = crypto::parseEnvelope(first[0].payload);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->header.recipient_key_id(), ambulance_new.key_id);
  EXPECT_EQ(key->header.epoch_start(), gateway::v1::EPOCH_START_NO_STATE);
}

// The actor during a rotation: both secret keys, so it reads every sequence across the switch,
// the old epoch proven complete by its final checkpoint, and no gap.
TEST_F(EnvelopeTest, AReceiverWithBothKeysReadsEverySequenceAcrossTheSwitch) {
  const crypto::SecretKey rotated = crypto::generateKeyPair("police");
  auto stream = seal("police", 3);
  for (auto& e : rotatePolice(rotated)) stream.push_back(std::move(e));
  for (auto& e : seal("police", 3)) stream.push_back(std::move(e));
  for (auto& e : checkpoint()) stream.push_back(std::move(e));

  EnvelopeReceiver receiver(asRotating(rotated, police_));
  std::vector<double> values;
  std::vector<Report> reports;
  for (size_t i = 0; i < stream.size(); ++i) {
    auto r = receiver.receive(stream[i].payload, kNow);
    ASSERT_NE(r.verdict, Verdict::kRejected) << "envelope " << i << ": " << r.reason;
    if (i > 0) {
      EXPECT_EQ(stream[i].sequence, stream[i - 1].sequence + 1);
    }
    if (r.verdict == Verdict::kMessage) values.push_back(r.message.measurement().value());
    reports.insert(reports.end(), r.reports.begin(), r.reports.end());
  }
  EXPECT_EQ(values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(receiver.stats().keys, 2u);
  EXPECT_EQ(receiver.stats().rejected, 0u);
  EXPECT_EQ(receiver.stats().gaps, 0u);
  ASSERT_EQ(reports.size(), 2u);  // the old epoch's final checkpoint, the new epoch's
  for (const auto& report : reports) {
    EXPECT_EQ(report.type, Report::Type::kCheckpointVerified);
  }
  EXPECT_NE(reports[0].epoch, reports[1].epoch);
}

// The old key alone reads the old epoch to its end, then every envelope of the new epoch is
// refused as addressed to another key, before anything is decrypted, and counted.
TEST_F(EnvelopeTest, TheOldKeyAloneReadsOnlyTheOldEpochAndRefusesTheNewOne) {
  const crypto::SecretKey rotated = crypto::generateKeyPair("police");
  auto before = seal("police", 3);
  auto begun = rotatePolice(rotated);
  auto after = seal("police", 3);
  for (auto& e : checkpoint()) after.push_back(std::move(e));

  EnvelopeReceiver old_key(as(police_));
  for (const auto& e : before) {
    ASSERT_NE(old_key.receive(e.payload, kNow).verdict, Verdict::kRejected);
  }
  auto final_checkpoint = old_key.receive(begun[0].payload, kNow);
  ASSERT_EQ(final_checkpoint.verdict, Verdict::kCheckpoint) << final_checkpoint.reason;
  ASSERT_EQ(final_checkpoint.reports.size(), 1u);
  EXPECT_EQ(final_checkpoint.reports[0].type, Report::Type::kCheckpointVerified);
  after.insert(after.begin(), begun[1]);  // the new KEY
  for (const auto& e : after) {
    auto r = old_key.receive(e.payload, kNow);
    EXPECT_EQ(r.verdict, Verdict::kRejected);
    EXPECT_EQ(r.reason.rfind("wrong_recipient: sealed for key " + rotated.key_id, 0), 0u)
        << r.reason;
    EXPECT_FALSE(r.message.has_measurement());
    EXPECT_TRUE(r.reports.empty());
  }
  EXPECT_EQ(old_key.stats().messages, 3u);
  EXPECT_EQ(old_key.stats().keys, 1u);
  EXPECT_EQ(old_key.stats().rejected, after.size());
  EXPECT_EQ(old_key.stats().rejected_by_code.at("wrong_recipient"), after.size());
}

TEST_F(EnvelopeTest, TheNewKeyAloneRefusesTheOldEpochs) {
  const crypto::SecretKey rotated = crypto::generateKeyPair("police");
  auto before = seal("police", 3);
  auto begun = rotatePolice(rotated);
  before.push_back(begun[0]);  // the old epoch's final checkpoint
  auto after = seal("police", 3);
  after.insert(after.begin(), begun[1]);

  EnvelopeReceiver new_key(as(rotated));
  for (const auto& e : before) {
    auto r = new_key.receive(e.payload, kNow);
    EXPECT_EQ(r.verdict, Verdict::kRejected);
    EXPECT_EQ(r.reason.rfind("wrong_recipient: sealed for key " + police_.key_id, 0), 0u)
        << r.reason;
  }
  std::vector<double> values;
  for (const auto& e : after) {
    auto r = new_key.receive(e.payload, kNow);
    ASSERT_NE(r.verdict, Verdict::kRejected) << r.reason;
    EXPECT_TRUE(r.reports.empty());
    if (r.verdict == Verdict::kMessage) values.push_back(r.message.measurement().value());
  }
  EXPECT_EQ(values, (std::vector<double>{4, 5, 6}));
  EXPECT_EQ(new_key.stats().rejected_by_code.at("wrong_recipient"), before.size());
}

// An actor restarted in the middle of a rotation, and again after it dropped the old key: the
// saved state carries the epoch keys already opened, so neither restart loses a sequence.
TEST_F(EnvelopeTest, TheSavedStateCarriesARotationAcrossRestarts) {
  const crypto::SecretKey rotated = crypto::generateKeyPair("police");
  auto old_epoch = seal("police", 3);
  auto begun = rotatePolice(rotated);
  auto new_epoch = seal("police", 2);

  gateway::v1::ReceiverState saved;
  {
    EnvelopeReceiver first(asRotating(rotated, police_));
    for (const auto& e : old_epoch) ASSERT_EQ(first.receive(e.payload, kNow).reports.size(), 0u);
    saved = first.saveState();
  }
  gateway::v1::ReceiverState saved_after_switch;
  {
    EnvelopeReceiver second(asRotating(rotated, police_));
    ASSERT_TRUE(second.restoreState(saved).ok());
    for (const auto& e : begun)
      ASSERT_NE(second.receive(e.payload, kNow).verdict, Verdict::kRejected);
    auto m = second.receive(new_epoch[0].payload, kNow);
    ASSERT_EQ(m.verdict, Verdict::kMessage) << m.reason;
    EXPECT_TRUE(m.reports.empty());
    saved_after_switch = second.saveState();
  }
  // The rotation is over: the old key is gone from the actor's config.
  EnvelopeReceiver third(as(rotated));
  ASSERT_TRUE(third.restoreState(saved_after_switch).ok());
  auto m = third.receive(new_epoch[1].payload, kNow);
  ASSERT_EQ(m.verdict, Verdict::kMessage) << m.reason;
  EXPECT_TRUE(m.reports.empty());  // no gap: the stream continues where the second left it
  EXPECT_EQ(m.message.measurement().value(), 5);
  // Something of the old epoch re-sent now is addressed to a key no longer held.
  EXPECT_EQ(third.receive(old_epoch[1].payload, kNow).reason.rfind("wrong_recipient", 0), 0u);
}

TEST_F(EnvelopeTest, ARemovedActorGetsNoStream) {
  seal("police", 1);
  sealer_->setActors({{"ambulance", crypto::publicHalf(ambulance_)}});
  std::vector<SealedEnvelope> out;
  EXPECT_EQ(sealer_->seal("police", reading("police", 1), kNow, &out).code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(out.empty());
}

// An actor nothing was routed to still hears from the gateway once per idle interval (its KEY,
// then checkpoints), so a silence watch can tell a quiet stream from a dead one (issue 19).
TEST_F(EnvelopeTest, AnActorNothingWasRoutedToHearsFromTheGatewayEveryIdleInterval) {
  std::vector<std::pair<std::string, SealedEnvelope>> due;
  ASSERT_TRUE(sealer_->checkpoints(kNow, false, &due).ok());
  EXPECT_TRUE(due.empty());  // the first sweep only starts the idle clock
  ASSERT_TRUE(sealer_->checkpoints(kNow + 29'000, false, &due).ok());
  EXPECT_TRUE(due.empty());
  ASSERT_TRUE(sealer_->checkpoints(kNow + 30'000, false, &due).ok());
  std::vector<SealedEnvelope> to_ambulance;
  for (auto& [actor, envelope] : due) {
    if (actor == "ambulance") to_ambulance.push_back(std::move(envelope));
  }
  ASSERT_EQ(to_ambulance.size(), 2u);
  EXPECT_EQ(to_ambulance[0].kind, gateway::v1::ENVELOPE_KIND_KEY);
  EXPECT_EQ(to_ambulance[1].kind, gateway::v1::ENVELOPE_KIND_CHECKPOINT);
  EnvelopeReceiver receiver(as(ambulance_));
  EXPECT_EQ(receiver.receive(to_ambulance[0].payload, kNow).verdict, Verdict::kKey);
  auto cp = receiver.receive(to_ambulance[1].payload, kNow);
  ASSERT_EQ(cp.verdict, Verdict::kCheckpoint);
  ASSERT_EQ(cp.reports.size(), 1u);
  EXPECT_EQ(cp.reports[0].type, Report::Type::kCheckpointVerified);
  // And again an idle interval later, now an ordinary idle checkpoint.
  due.clear();
  ASSERT_TRUE(sealer_->checkpoints(kNow + 60'000, false, &due).ok());
  size_t later = 0;
  for (auto& [actor, envelope] : due) {
    if (actor != "ambulance") continue;
    ++later;
    EXPECT_EQ(receiver.receive(envelope.payload, kNow).verdict, Verdict::kCheckpoint);
  }
  EXPECT_EQ(later, 1u);
}

TEST_F(EnvelopeTest, AnotherGatewaysSignatureIsRefused) {
  auto e = seal("police", 1);
  // A second gateway that claims the first one's key id.
  crypto::IdentityKey forger = crypto::generateIdentityKey("site");
  forger.key_id = identity_.key_id;
  auto forged_sealer = openSealer(forger);
  forged_sealer->setActors({{"police", crypto::publicHalf(police_)}});
  std::vector<SealedEnvelope> forged;
  ASSERT_TRUE(forged_sealer->seal("police", reading("police", 66), kNow, &forged).ok());
  EnvelopeReceiver receiver(as(police_));
  auto r = receiver.receive(forged[0].payload, kNow);
  EXPECT_EQ(r.reason.rfind("bad_signature", 0), 0u) << r.reason;
  EXPECT_EQ(receiver.receive(forged[1].payload, kNow).reason.rfind("unknown_epoch", 0), 0u);
}

TEST(MultiSiteReceiverTest, OneReceiverFollowsEachPinnedGatewaysStreamAndBindsItToItsSite) {
  const auto police = crypto::generateKeyPair("police");
  const auto north = crypto::generateIdentityKey("north");
  const auto south = crypto::generateIdentityKey("south");
  auto sealerFor = [&](const crypto::IdentityKey& identity, const std::string& site) {
    auto sealer = crypto::GatewaySealer::open(identity, site, {});
    EXPECT_TRUE(sealer.ok());
    (*sealer)->setActors({{"police", crypto::publicHalf(police)}});
    return std::move(sealer).value();
  };
  auto a = sealerFor(north, "north");
  auto b = sealerFor(south, "south");
  auto rogue = sealerFor(north, "south");  // north's key claiming to speak for the south site
  EnvelopeReceiver receiver(
      {"+",
       "police",
       police,
       {crypto::identityPublicHalf(north), crypto::identityPublicHalf(south)}});
  std::vector<SealedEnvelope> out;
  for (int i = 0; i < 3; ++i) {
    auto m = reading("police", i);
    m.set_site_id("north");
    ASSERT_TRUE(a->seal("police", m, kNow, &out).ok());
    m.set_site_id("south");
    ASSERT_TRUE(b->seal("police", m, kNow, &out).ok());
  }
  int messages = 0;
  for (const auto& e : out) {
    auto r = receiver.receive(e.payload, kNow);
    ASSERT_NE(r.verdict, Verdict::kRejected) << r.reason;
    EXPECT_TRUE(r.reports.empty());  // two streams, each in order: no gaps between them
    messages += r.verdict == Verdict::kMessage;
  }
  EXPECT_EQ(messages, 6);
  std::vector<SealedEnvelope> forged;
  ASSERT_TRUE(rogue->seal("police", reading("police", 9), kNow, &forged).ok());
  EXPECT_EQ(receiver.receive(forged[0].payload, kNow).reason.rfind("wrong_site", 0), 0u);
}

TEST_F(EnvelopeTest, ANonCanonicalCopyIsMalformedAndDoesNotShadowTheGenuineOne) {
  auto e = seal("police", 2);
  for (auto& cp : checkpoint()) e.push_back(std::move(cp));
  ASSERT_EQ(e.size(), 4u);  // KEY, DATA, DATA, CHECKPOINT
  EnvelopeReceiver receiver(as(police_));
  // Re-encodings a broker could make without any key: each is the same fields in other bytes.
  auto variants = [](const std::string& payload) {
    gateway::v1::Envelope env;
    EXPECT_TRUE(env.ParseFromString(payload));
    std::vector<std::string> out;
    out.push_back(payload + std::string("\x20\x01", 2));  // unknown field 4, varint 1
    gateway::v1::Envelope header_only;  // the header field twice: the parser keeps the last
    header_only.set_header(env.header());
    out.push_back(payload + header_only.SerializeAsString());
    std::string header_padded = env.header() + std::string("\x78\x00", 2);  // unknown field 15
    gateway::v1::Envelope padded = env;
    padded.set_header(header_padded);
    out.push_back(padded.SerializeAsString());
    // The body field first: protobuf reads the same message from fields in any order.
    gateway::v1::Envelope body_only;
    body_only.set_body(env.body());
    gateway::v1::Envelope rest = env;
    rest.clear_body();
    out.push_back(body_only.SerializeAsString() + rest.SerializeAsString());
    return out;
  };
  for (const auto& genuine : e) {
    for (const auto& copy : variants(genuine.payload)) {
      ASSERT_NE(copy, genuine.payload);
      auto r = receiver.receive(copy, kNow);
      ASSERT_EQ(r.verdict, Verdict::kRejected);
      EXPECT_EQ(r.reason.rfind("malformed: ", 0), 0u) << r.reason;
    }
    // The genuine envelope still counts: the copies left no trace in the replay window.
    auto r = receiver.receive(genuine.payload, kNow);
    EXPECT_NE(r.verdict, Verdict::kRejected) << r.reason;
    EXPECT_NE(r.verdict, Verdict::kDuplicate);
  }
  EXPECT_EQ(receiver.stats().checkpoints_verified, 1u);
}

TEST_F(EnvelopeTest, StaleAndFutureMessagesAreRefusedWhenAsked) {
  auto e = seal("police", 2);
  actor::ReceiverOptions options;
  options.max_age_ms = 60'000;
  EnvelopeReceiver receiver(as(police_), options);
  ASSERT_EQ(receiver.receive(e[0].payload, kNow).verdict, Verdict::kKey);
  EXPECT_EQ(receiver.receive(e[1].payload, kNow + 61'000).reason.rfind("stale", 0), 0u);
  EXPECT_EQ(receiver.receive(e[2].payload, kNow - 600'000).reason.rfind("future", 0), 0u);
  EXPECT_EQ(receiver.receive(e[2].payload, kNow + 1'000).verdict, Verdict::kMessage);
}

TEST(StreamPositionsTest, NoSequenceIsUsedTwiceAcrossCrashesAndCleanStops) {
  gw::testing::TempDir dir;
  const auto identity = crypto::generateIdentityKey("site");
  const auto police = crypto::generateKeyPair("police");
  crypto::SealerOptions options;
  options.positions_file = dir / "streams";
  options.reserve_ahead = 100;
  std::set<uint64_t> used;
  std::set<std::string> nonces_keys;  // KEY payloads: a fresh epoch key each run
  auto run = [&](int messages, bool clean, gateway::v1::EpochStart expect_start) {
    auto sealer = openSealer(identity, options);
    sealer->setActors({{"police", crypto::publicHalf(police)}});
    std::vector<SealedEnvelope> out;
    for (int i = 0; i < messages; ++i) {
      ASSERT_TRUE(sealer->seal("police", reading("police", i), kNow, &out).ok());
    }
    for (const auto& e : out) {
      EXPECT_TRUE(used.insert(e.sequence).second) << "sequence " << e.sequence << " reused";
    }
    auto key = crypto::parseEnvelope(out[0].payload);
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->header.epoch_start(), expect_start);
    EXPECT_TRUE(nonces_keys.insert(key->header.key_commitment()).second);
    if (clean) {
      ASSERT_TRUE(sealer->close().ok());
    }
  };
  run(250, false, gateway::v1::EPOCH_START_FIRST_START);  // crashes: no close()
  run(10, true, gateway::v1::EPOCH_START_UNCLEAN_START);
  const uint64_t after_clean = *used.rbegin();
  run(10, true, gateway::v1::EPOCH_START_GATEWAY_START);
  // After a clean stop the stream continues without a jump: the next KEY follows directly.
  EXPECT_TRUE(used.count(after_clean + 1));
}

TEST(StreamPositionsTest, EachStartSaysWhyAndOnlyAStreamWithAPositionContinues) {
  gw::testing::TempDir dir;
  {
    auto empty = crypto::StreamPositions::open(dir / "streams");
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ((*empty)->startOf("police", false).reason, gateway::v1::EPOCH_START_FIRST_START);
    EXPECT_EQ((*empty)->startOf("police", true).reason, gateway::v1::EPOCH_START_ACTOR_ADDED);
    ASSERT_TRUE((*empty)->closeClean({{"police", {42, 3}}}).ok());
  }
  auto again = crypto::StreamPositions::open(dir / "streams");
  ASSERT_TRUE(again.ok());
  const auto police = (*again)->startOf("police", false);
  EXPECT_EQ(police.reason, gateway::v1::EPOCH_START_GATEWAY_START);
  EXPECT_EQ(police.next_sequence, 42u);
  EXPECT_EQ(police.previous_sequence, 41u);
  // An actor that joined the policy while gatewayd was stopped: its stream's first start.
  const auto fire = (*again)->startOf("fire", false);
  EXPECT_EQ(fire.reason, gateway::v1::EPOCH_START_FIRST_START);
  EXPECT_EQ(fire.next_sequence, 1u);
  EXPECT_EQ(fire.previous_sequence, 0u);

  auto stateless = crypto::StreamPositions::open({});
  ASSERT_TRUE(stateless.ok());
  const auto clock = (*stateless)->startOf("police", false);
  EXPECT_EQ(clock.reason, gateway::v1::EPOCH_START_NO_STATE);
  EXPECT_EQ(clock.previous_sequence, 0u);
  EXPECT_GT(clock.next_sequence, uint64_t{1'700'000'000'000} * 1000);  // from the clock
}

TEST(StreamPositionsTest, ACorruptPositionsFileIsRefusedNotGuessed) {
  gw::testing::TempDir dir;
  std::ofstream(dir / "streams") << "lantaarn-streams-v1 running\npolice twelve 3\n";
  auto positions = crypto::StreamPositions::open(dir / "streams");
  ASSERT_FALSE(positions.ok());
  EXPECT_NE(positions.status().message().find("streams:2"), std::string::npos)
      << positions.status().message();
}

TEST_F(EnvelopeTest, AnUncleanRestartIsReportedAsUnaccountedNotAsLoss) {
  gw::testing::TempDir dir;
  crypto::SealerOptions options;
  options.positions_file = dir / "streams";
  options.reserve_ahead = 1000;
  EnvelopeReceiver receiver(as(police_));
  {
    auto first = openSealer(identity_, options);
    first->setActors({{"police", crypto::publicHalf(police_)}});
    std::vector<SealedEnvelope> out;
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(first->seal("police", reading("police", i), kNow, &out).ok());
    for (const auto& e : out)
      ASSERT_NE(receiver.receive(e.payload, kNow).verdict, Verdict::kRejected);
  }  // no close(): a crash
  auto second = openSealer(identity_, options);
  second->setActors({{"police", crypto::publicHalf(police_)}});
  std::vector<SealedEnvelope> out;
  ASSERT_TRUE(second->seal("police", reading("police", 9), kNow, &out).ok());
  auto key = receiver.receive(out[0].payload, kNow);
  ASSERT_EQ(key.verdict, Verdict::kKey);
  ASSERT_EQ(key.reports.size(), 1u);
  EXPECT_EQ(key.reports[0].type, Report::Type::kUnaccounted);
  EXPECT_EQ(receiver.stats().missing, 0u);
  EXPECT_EQ(receiver.receive(out[1].payload, kNow).verdict, Verdict::kMessage);
}

TEST_F(EnvelopeTest, AStatelessRestartIsAStreamRestartNotAGapOf10To15) {
  EnvelopeReceiver receiver(as(police_));
  uint64_t first_run_key = 0;
  for (int run = 0; run < 2; ++run) {
    // No positions file: each run numbers its stream from the clock.
    auto sealer = openSealer(identity_);
    sealer->setActors({{"police", crypto::publicHalf(police_)}});
    std::vector<SealedEnvelope> out;
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(sealer->seal("police", reading("police", i), kNow, &out).ok());
    auto key = crypto::parseEnvelope(out[0].payload);
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->header.epoch_start(), gateway::v1::EPOCH_START_NO_STATE);
    EXPECT_EQ(key->header.previous_sequence(), 0u);
    auto r = receiver.receive(out[0].payload, kNow);
    ASSERT_EQ(r.verdict, Verdict::kKey) << r.reason;
    if (run == 0) {
      first_run_key = out[0].sequence;
      EXPECT_TRUE(r.reports.empty());
    } else {
      ASSERT_GT(out[0].sequence, first_run_key + 3);  // the clock moved on
      ASSERT_EQ(r.reports.size(), 1u);
      EXPECT_EQ(r.reports[0].type, Report::Type::kStreamRestart);
      EXPECT_EQ(r.reports[0].from, out[0].sequence);
      EXPECT_EQ(r.reports[0].missing, 0u);
    }
    for (size_t i = 1; i < out.size(); ++i) {
      auto m = receiver.receive(out[i].payload, kNow);
      EXPECT_EQ(m.verdict, Verdict::kMessage) << m.reason;
      EXPECT_TRUE(m.reports.empty());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  EXPECT_EQ(receiver.stats().gaps, 0u);
  EXPECT_EQ(receiver.stats().missing, 0u);
  EXPECT_EQ(receiver.stats().stream_restarts, 1u);
}

// The outbox re-sends what it held at a crash with the old numbers, possibly after the new run's
// envelopes: with the reservation at half the replay window they are still accepted after 32,000
// envelopes of the new run overtook them (with a reservation equal to the window, none would be).
TEST_F(EnvelopeTest, ReSendsFromBeforeACrashStayInsideTheReplayWindow) {
  static_assert(crypto::kSequenceReservation * 2 <= crypto::kReplayWindow);
  gw::testing::TempDir dir;
  crypto::SealerOptions options;
  options.positions_file = dir / "streams";  // default reservation
  EnvelopeReceiver receiver(as(police_));
  std::vector<SealedEnvelope> before;
  {
    auto first = openSealer(identity_, options);
    first->setActors({{"police", crypto::publicHalf(police_)}});
    for (int i = 0; i < 10; ++i)
      ASSERT_TRUE(first->seal("police", reading("police", i), kNow, &before).ok());
  }  // no close(): a crash; the last 5 were still in the outbox
  for (size_t i = 0; i < 6; ++i) {
    ASSERT_NE(receiver.receive(before[i].payload, kNow).verdict, Verdict::kRejected);
  }
  auto second = openSealer(identity_, options);
  second->setActors({{"police", crypto::publicHalf(police_)}});
  std::vector<SealedEnvelope> after;
  constexpr int kOvertaking = 32'000;
  for (int i = 0; i < kOvertaking; ++i)
    ASSERT_TRUE(second->seal("police", reading("police", i), kNow, &after).ok());
  const uint64_t jump = after[0].sequence - before.back().sequence;
  EXPECT_LE(jump, crypto::kSequenceReservation + 8) << "the reservation decides the jump";
  for (const auto& e : after) {
    ASSERT_NE(receiver.receive(e.payload, kNow).verdict, Verdict::kRejected);
  }
  for (size_t i = 6; i < before.size(); ++i) {
    auto r = receiver.receive(before[i].payload, kNow);
    EXPECT_EQ(r.verdict, Verdict::kMessage)
        << "sequence " << before[i].sequence << ": " << r.reason;
  }
  EXPECT_EQ(receiver.stats().rejected, 0u);
}

}  // namespace
}  // namespace gw
