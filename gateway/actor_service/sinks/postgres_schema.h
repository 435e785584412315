#pragma once
// What the PostgreSQL sink writes where: its three tables, each column once, with the SQL type,
// how the INSERT passes it ($n parameter) and where its value comes from in a message. The DDL,
// the INSERT statement and a row's parameters all derive from this one list, so they cannot
// disagree. No libpq here: this is the schema, postgres_sink.h talks to the server.
//
// Locations: with PostGIS a `location geometry(Point,4326)` column, otherwise `lat` and `lon`
// (double precision); both take the same two parameters (lat, lon), NULL when the message has no
// location. Times are timestamptz from Unix milliseconds, NULL when not stated (0). Empty strings
// (fields the route minimised away) are NULL.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gateway/v1/actor_state.pb.h"

namespace gw::actor_service {

// One row's source: the message and, for the table at hand, the reading, aggregate row or event.
struct PostgresRowSource {
  const gateway::v1::SpooledMessage* message = nullptr;
  std::string key;    // idempotencyKey(message)
  int row_index = 0;  // within a batch or an aggregate; 0 otherwise
  const gateway::v1::Reading* reading = nullptr;
  const gateway::v1::Aggregate* aggregate = nullptr;
  const gateway::v1::AggregateRow* aggregate_row = nullptr;
  const gateway::v1::Event* event = nullptr;
};

// A parameter in libpq's text format; nullopt is SQL NULL.
using PostgresParam = std::optional<std::string>;

enum class PostgresColumnType { kText, kBigint, kDouble, kTime, kLocation };

struct PostgresColumn {
  std::string name;  // kLocation: `location`, or the pair `lat`, `lon`
  PostgresColumnType type;
  bool not_null = false;
  std::function<PostgresParam(const PostgresRowSource&)> value;  // all but kLocation
  std::function<const gateway::v1::Location*(const PostgresRowSource&)> location;  // kLocation
};

struct PostgresTable {
  std::string name;  // prefix + measurements | aggregates | events
  std::vector<PostgresColumn> columns;
  std::vector<std::string> primary_key;
  std::string time_column;  // indexed
};

PostgresTable measurementsTable(const std::string& prefix);
PostgresTable aggregatesTable(const std::string& prefix);
PostgresTable eventsTable(const std::string& prefix);

// CREATE TABLE IF NOT EXISTS, with a location column when `postgis`.
std::string createTableSql(const PostgresTable& table, bool postgis);
// Its indexes, IF NOT EXISTS, for the layout the table has (a GiST index on a location column).
std::string createIndexSql(const PostgresTable& table, bool postgis);
// INSERT ... VALUES ($1, ...) ON CONFLICT DO NOTHING, in the column order of rowParams().
std::string insertSql(const PostgresTable& table, bool postgis);
std::vector<PostgresParam> rowParams(const PostgresTable& table, const PostgresRowSource& row);

// True for a prefix the tables may carry unquoted: a lower-case letter or _, then lower-case
// letters, digits and _, at most 40 characters (PostgreSQL's names end at 63).
bool validTablePrefix(const std::string& prefix);

}  // namespace gw::actor_service
