#include "gateway/actor_service/sinks/postgres_sink.h"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include "gateway/actor_service/sinks/postgres_schema.h"

namespace gw::actor_service {
namespace {

using Result = DeliveryOutcome::Result;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// libpq's messages end in a newline; the sink worker logs them on one line.
std::string trimmed(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

// The server's notices ("relation ... already exists, skipping" on every connect) would go to
// stderr unformatted; they are routine, so debug logs only.
void logNotice(void* /*arg*/, const char* message) {
  spdlog::debug("PostgreSQL sink: {}", trimmed(message));
}

}  // namespace

struct PostgresSink::Connection {
  struct Table {
    PostgresTable spec;
    std::string insert;    // for the layout the table really has
    bool postgis = false;  // a location column rather than lat and lon
  };

  explicit Connection(PGconn* c) : conn(c) {}
  ~Connection() { PQfinish(conn); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool broken() const { return PQstatus(conn) != CONNECTION_OK; }

  // Why a command failed, and whether trying the same message again can help: a data or
  // integrity error (SQLSTATE class 22 or 23) comes back every time; everything else (the
  // server gone, shutting down, out of resources, a permission or a table an operator can
  // fix) is worth another attempt once it changes.
  DeliveryOutcome failure(const PGresult* result, const std::string& what) const {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string message =
        trimmed(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn));
    if (message.empty()) message = trimmed(PQerrorMessage(conn));
    const std::string detail =
        "PostgreSQL " + what + ": " + (state != nullptr ? std::string(state) + " " : "") + message;
    const bool permanent = !broken() && state != nullptr &&
                           (std::string_view(state).substr(0, 2) == "22" ||
                            std::string_view(state).substr(0, 2) == "23");
    return {permanent ? Result::kRefused : Result::kRetry, detail};
  }

  // A command without parameters (BEGIN, COMMIT, the DDL); nullopt when it succeeded.
  std::optional<DeliveryOutcome> command(const std::string& sql, const std::string& what) const {
    PgResult r(PQexec(conn, sql.c_str()));
    if (r && PQresultStatus(r.get()) == PGRES_COMMAND_OK) return std::nullopt;
    return failure(r.get(), what);
  }

  // A single-row, single-column query with text parameters: the value, or nullopt and *error.
  std::optional<std::string> value(const std::string& sql, const std::vector<std::string>& params,
                                   DeliveryOutcome* error) const {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.c_str());
    PgResult r(PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) {
      *error = failure(r.get(), "schema check");
      return std::nullopt;
    }
    return std::string(PQgetvalue(r.get(), 0, 0));
  }

  std::optional<DeliveryOutcome> insert(const Table& table, const PostgresRowSource& row) const {
    const std::vector<PostgresParam> params = rowParams(table.spec, row);
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    PgResult r(PQexecParams(conn, table.insert.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0));
    if (r && PQresultStatus(r.get()) == PGRES_COMMAND_OK) return std::nullopt;
    return failure(r.get(), "insert into " + table.spec.name);
  }

  PGconn* conn;
  Table measurements;
  Table aggregates;
  Table events;
};

PostgresSink::PostgresSink(PostgresSinkOptions options) : options_(std::move(options)) {}

PostgresSink::~PostgresSink() = default;

DeliveryOutcome PostgresSink::connect() {
  // Later keywords win: our connect_timeout is a default the conninfo may override, while the
  // password (from its file) and the encoding (we send UTF-8) are ours.
  std::vector<const char*> keys = {"connect_timeout", "fallback_application_name", "dbname",
                                   "client_encoding"};
  std::vector<const char*> values = {"10", "lantaarn-actor", options_.conninfo.c_str(), "UTF8"};
  if (!options_.password.empty()) {
    keys.push_back("password");
    values.push_back(options_.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  auto c = std::make_unique<Connection>(PQconnectdbParams(keys.data(), values.data(), 1));
  if (c->conn == nullptr) return {Result::kRetry, "PostgreSQL: out of memory"};
  if (c->broken()) {
    return {Result::kRetry, "PostgreSQL: cannot connect: " + trimmed(PQerrorMessage(c->conn))};
  }
  PQsetNoticeProcessor(c->conn, logNotice, nullptr);

  DeliveryOutcome error;
  const auto postgis =
      c->value("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')", {}, &error);
  if (!postgis) return {Result::kRetry, error.detail};
  c->measurements.spec = measurementsTable(options_.table_prefix);
  c->aggregates.spec = aggregatesTable(options_.table_prefix);
  c->events.spec = eventsTable(options_.table_prefix);
  for (Connection::Table* table : {&c->measurements, &c->aggregates, &c->events}) {
    if (auto failed = c->command(createTableSql(table->spec, *postgis == "t"),
                                 "creating " + table->spec.name)) {
      return {Result::kRetry, failed->detail};  // schema trouble is for an operator to fix
    }
    // A table made before PostGIS was installed keeps its lat/lon: insert what it has.
    const auto has_location = c->value(
        "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND "
        "attname = 'location' AND NOT attisdropped)",
        {"\"" + table->spec.name + "\""}, &error);
    if (!has_location) return {Result::kRetry, error.detail};
    table->postgis = *has_location == "t";
    if (auto failed = c->command(createIndexSql(table->spec, table->postgis),
                                 "indexing " + table->spec.name)) {
      return {Result::kRetry, failed->detail};
    }
    table->insert = insertSql(table->spec, table->postgis);
  }
  postgis_ = c->events.postgis;
  spdlog::info(
      "PostgreSQL sink: connected to {} (database {}), tables {}{{measurements,"
      "aggregates,events}} with locations as {}",
      PQhost(c->conn), PQdb(c->conn), options_.table_prefix,
      postgis_ ? "PostGIS points" : "lat/lon");
  connection_ = std::move(c);
  return {};
}

DeliveryOutcome PostgresSink::insertAll(const gateway::v1::SpooledMessage& m) {
  const Connection& c = *connection_;
  PostgresRowSource row{&m, idempotencyKey(m)};
  const auto& body = m.message();
  switch (body.body_case()) {
    case gateway::v1::ActorMessage::kMeasurement:
      row.reading = &body.measurement();
      if (auto failed = c.insert(c.measurements, row)) return *failed;
      break;
    case gateway::v1::ActorMessage::kMeasurementBatch:
      for (const auto& reading : body.measurement_batch().readings()) {
        row.reading = &reading;
        if (auto failed = c.insert(c.measurements, row)) return *failed;
        ++row.row_index;
      }
      break;
    case gateway::v1::ActorMessage::kAggregate:
      row.aggregate = &body.aggregate();
      for (const auto& aggregate_row : body.aggregate().rows()) {
        row.aggregate_row = &aggregate_row;
        if (auto failed = c.insert(c.aggregates, row)) return *failed;
        ++row.row_index;
      }
      break;
    case gateway::v1::ActorMessage::kEvent:
      row.event = &body.event();
      if (auto failed = c.insert(c.events, row)) return *failed;
      break;
    default:
      break;  // nothing this sink stores
  }
  return {};
}

DeliveryOutcome PostgresSink::deliver(const gateway::v1::SpooledMessage& m) {
  if (connection_ && connection_->broken()) connection_.reset();
  if (!connection_) {
    if (DeliveryOutcome connected = connect(); connected.result != Result::kDelivered) {
      return connected;
    }
  }
  // One transaction per message: a batch goes in whole or not at all.
  DeliveryOutcome outcome;
  if (auto failed = connection_->command("BEGIN", "begin")) {
    outcome = *failed;
  } else if (outcome = insertAll(m); outcome.result == Result::kDelivered) {
    if (auto commit_failed = connection_->command("COMMIT", "commit")) outcome = *commit_failed;
  } else if (connection_->command("ROLLBACK", "rollback")) {
    connection_.reset();  // the state of the session is unknown: start afresh
  }
  // After anything worth retrying, reconnect: the server may have restarted, or a table been
  // dropped, and connect() makes the schema again.
  if (outcome.result == Result::kRetry) connection_.reset();
  return outcome;
}

}  // namespace gw::actor_service
