#pragma once
// The end of the routed path: everything that leaves the gateway goes through here into the
// outbox. Each message is sealed for its route's actor alone (GatewaySealer: AEAD under the
// stream's epoch key, with the epoch's signed KEY envelope first when a new epoch starts) and
// appended on the topic of its kind, with its route's ttl as expiry; open data, public by
// definition, goes out as plain JSON instead. Every checkpoint interval it seals the signed
// checkpoints of busy streams (docs/SECURITY.md).
//
// Then it tells the publisher: alarms and events are pumped at once, measurements once the
// pipeline thread has worked off the current burst (decision 1020).
//
// Thread: the pipeline executor (its checkpoint timer too). Backpressure: the outbox had room
// for the whole fan-out when the reading was accepted; an append that fails anyway is a bug,
// logged. Metrics: envelopes_sealed_total{actor,kind}, seal_failed_total{actor},
// open_data_published_total{route}, checkpoint_failed_total.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <string>

#include "gateway/core/counters.h"
#include "gateway/crypto/gateway_sealer.h"
#include "gateway/pipeline/routed_message.h"

namespace gw::crypto {

class SealingSink : public pipeline::RoutedSink {
 public:
  // Opens the gateway's identity (gateway_identity.h: `identity_key_file`, else the state dir's,
  // else an ephemeral one) and its sealer, whose stream positions live in
  // <state_dir>/streams (empty: none, docs/SECURITY.md).
  static Result<std::unique_ptr<SealingSink>> open(const std::string& identity_key_file,
                                                   const std::string& site_id,
                                                   const std::string& state_dir,
                                                   SealerOptions options, pipeline::Outbox& outbox,
                                                   pipeline::OutboxDrain& drain, Counters& counters,
                                                   const boost::asio::any_io_executor& executor);

  SealingSink(std::unique_ptr<GatewaySealer> sealer, std::string site_id, pipeline::Outbox& outbox,
              pipeline::OutboxDrain& drain, Counters& counters,
              const boost::asio::any_io_executor& executor);

  void deliver(std::vector<pipeline::RoutedMessage>& messages) override;
  // The running policy's actors (GatewaySealer::setActors): on start and on every reload. An
  // actor whose key changed gets its new epoch at once: the old epoch's final checkpoint and the
  // KEY sealed to the new key are appended here, not with the actor's next message.
  void setActors(const std::map<std::string, PublicKey>& keys);
  // Starts the checkpoint timer.
  void start();
  // Stops the timer and seals a last checkpoint for every stream that sent anything since its
  // previous one, so that actors can verify the tail too (shutdown).
  void flush();
  // Records the streams' exact positions (a clean stop; the next start continues without a jump).
  Status close();
  const IdentityKey& identity() const { return sealer_->identity(); }

 private:
  // Appends an envelope on the topic its kind belongs on.
  void enqueue(const std::string& actor, pipeline::DataKind kind, pipeline::Priority priority,
               SealedEnvelope envelope, int64_t expires_unix_ms);
  // Sends one open-data aggregate as JSON; false when it could not.
  bool publishOpenData(const pipeline::RoutedMessage& item);
  void emitCheckpoints(bool flush);
  void scheduleCheckpoints();

  std::unique_ptr<GatewaySealer> sealer_;
  std::string site_id_;
  pipeline::Outbox& outbox_;
  pipeline::OutboxDrain& drain_;
  Counters& counters_;
  boost::asio::steady_timer checkpoint_timer_;
  std::chrono::milliseconds checkpoint_tick_;
  std::vector<SealedEnvelope> sealed_scratch_;
  bool stopped_ = false;
};

}  // namespace gw::crypto
