#pragma once
// Rows in the actor's own PostgreSQL (libpq): a reading or each reading of a batch in
// <prefix>measurements, each row of an aggregate in <prefix>aggregates, each event (health events
// too) in <prefix>events. The tables are created if missing at connect (postgres_schema.h);
// locations are PostGIS points where the table has a `location` column, lat/lon otherwise.
//
// Idempotent: every row's primary key is the message's idempotency key (plus its row index in a
// batch or aggregate) and every INSERT is ON CONFLICT DO NOTHING, one transaction per message, so
// a message delivered again after a crash or a lost reply inserts nothing twice.
//
// Outcomes: the server unreachable, the connection lost, or any failure that an operator can fix
// (permissions, a dropped table, a lock) is kRetry, reconnecting on the next attempt; a data or
// constraint error (SQLSTATE class 22 or 23), which the same message will hit every time, is
// kRefused. Values always go as parameters (PQexecParams), never into the SQL text.
#include <memory>
#include <string>

#include "gateway/actor_service/sinks/sink.h"

namespace gw::actor_service {

struct PostgresSinkOptions {
  std::string conninfo;  // libpq connection string, without the password
  std::string password;  // from the password file; empty: none (peer, trust or ~/.pgpass)
  std::string table_prefix = "lantaarn_";
};

class PostgresSink : public Sink {
 public:
  // Does not connect: the first deliver() does, so a database that is down at start delays
  // only this sink.
  explicit PostgresSink(PostgresSinkOptions options);
  ~PostgresSink() override;
  PostgresSink(const PostgresSink&) = delete;
  PostgresSink& operator=(const PostgresSink&) = delete;

  DeliveryOutcome deliver(const gateway::v1::SpooledMessage& message) override;

  // Which layout the connected database's tables have; for logs and tests.
  bool usesPostgis() const { return postgis_; }

 private:
  struct Connection;
  DeliveryOutcome connect();
  DeliveryOutcome insertAll(const gateway::v1::SpooledMessage& message);

  PostgresSinkOptions options_;
  std::unique_ptr<Connection> connection_;
  bool postgis_ = false;
};

}  // namespace gw::actor_service
