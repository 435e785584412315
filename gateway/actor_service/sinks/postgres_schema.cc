#include "gateway/actor_service/sinks/postgres_schema.h"

#include <cctype>
#include <charconv>

#include "gateway/actor_service/service_config.h"

namespace gw::actor_service {
namespace {

using Row = PostgresRowSource;
using Type = PostgresColumnType;

PostgresParam text(const std::string& s) {
  if (s.empty()) return std::nullopt;  // minimised away or not stated: NULL, not ''
  return s;
}

PostgresParam integer(int64_t v) { return std::to_string(v); }

// Shortest text that reads back as the same double (PostgreSQL's float8in takes nan and inf).
PostgresParam real(double v) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
  return std::string(buffer, end);
}

PostgresParam unixMs(int64_t ms) {
  if (ms == 0) return std::nullopt;  // proto3's "not stated"
  return std::to_string(ms);
}

PostgresColumn column(std::string name, Type type, std::function<PostgresParam(const Row&)> value,
                      bool not_null = false) {
  return PostgresColumn{std::move(name), type, not_null, std::move(value), nullptr};
}

PostgresColumn locationColumn(std::function<const gateway::v1::Location*(const Row&)> where) {
  return PostgresColumn{"location", Type::kLocation, false, nullptr, std::move(where)};
}

// The columns every table starts with: the key and where the message came from.
std::vector<PostgresColumn> messageColumns(bool with_row_index) {
  std::vector<PostgresColumn> c;
  c.push_back(column(
      "idempotency_key", Type::kText, [](const Row& r) { return r.key; }, true));
  if (with_row_index) {
    c.push_back(column(
        "row_index", Type::kBigint, [](const Row& r) { return integer(r.row_index); }, true));
  }
  c.push_back(column(
      "gateway_key_id", Type::kText, [](const Row& r) { return r.message->gateway_key_id(); },
      true));
  c.push_back(column(
      "epoch", Type::kBigint, [](const Row& r) { return std::to_string(r.message->epoch()); },
      true));
  c.push_back(column(
      "sequence", Type::kBigint, [](const Row& r) { return std::to_string(r.message->sequence()); },
      true));
  c.push_back(column("site_id", Type::kText,
                     [](const Row& r) { return text(r.message->message().site_id()); }));
  c.push_back(column("actor_id", Type::kText,
                     [](const Row& r) { return text(r.message->message().actor_id()); }));
  c.push_back(column("route_id", Type::kText,
                     [](const Row& r) { return text(r.message->message().route_id()); }));
  c.push_back(column("purpose", Type::kText,
                     [](const Row& r) { return text(r.message->message().purpose()); }));
  c.push_back(column("produced_at", Type::kTime,
                     [](const Row& r) { return unixMs(r.message->message().produced_unix_ms()); }));
  c.push_back(column("received_at", Type::kTime,
                     [](const Row& r) { return unixMs(r.message->received_unix_ms()); }));
  return c;
}

std::string sqlType(Type type) {
  switch (type) {
    case Type::kText:
      return "text";
    case Type::kBigint:
      return "bigint";
    case Type::kDouble:
      return "double precision";
    case Type::kTime:
      return "timestamptz";
    case Type::kLocation:
      break;
  }
  return "";
}

std::string quoted(const std::string& name) { return "\"" + name + "\""; }

}  // namespace

bool validTablePrefix(const std::string& prefix) {
  if (prefix.empty() || prefix.size() > 40) return false;
  if (!(std::islower(static_cast<unsigned char>(prefix[0])) != 0 || prefix[0] == '_')) {
    return false;
  }
  for (const char c : prefix) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::islower(u) != 0 || std::isdigit(u) != 0 || c == '_') || u >= 0x80) return false;
  }
  return true;
}

PostgresTable measurementsTable(const std::string& prefix) {
  PostgresTable t{prefix + "measurements",
                  messageColumns(true),
                  {"idempotency_key", "row_index"},
                  "observed_at"};
  auto& c = t.columns;
  c.push_back(
      column("source_id", Type::kText, [](const Row& r) { return text(r.reading->source_id()); }));
  c.push_back(
      column("quantity", Type::kText, [](const Row& r) { return text(r.reading->quantity()); }));
  c.push_back(column("unit", Type::kText, [](const Row& r) { return text(r.reading->unit()); }));
  c.push_back(
      column("value", Type::kDouble, [](const Row& r) { return real(r.reading->value()); }));
  c.push_back(column("observed_at", Type::kTime,
                     [](const Row& r) { return unixMs(r.reading->observed_unix_ms()); }));
  c.push_back(column("quality_flags", Type::kBigint,
                     [](const Row& r) { return integer(r.reading->quality_flags()); }));
  c.push_back(column("sensor_ref", Type::kText,
                     [](const Row& r) { return text(r.reading->sensor_ref()); }));
  c.push_back(locationColumn(
      [](const Row& r) { return r.reading->has_location() ? &r.reading->location() : nullptr; }));
  return t;
}

PostgresTable aggregatesTable(const std::string& prefix) {
  PostgresTable t{prefix + "aggregates",
                  messageColumns(true),
                  {"idempotency_key", "row_index"},
                  "interval_start"};
  auto& c = t.columns;
  c.push_back(column("interval_start", Type::kTime,
                     [](const Row& r) { return unixMs(r.aggregate->interval_start_unix_ms()); }));
  c.push_back(column("interval_end", Type::kTime,
                     [](const Row& r) { return unixMs(r.aggregate->interval_end_unix_ms()); }));
  c.push_back(column("source_id", Type::kText,
                     [](const Row& r) { return text(r.aggregate_row->source_id()); }));
  c.push_back(column("quantity", Type::kText,
                     [](const Row& r) { return text(r.aggregate_row->quantity()); }));
  c.push_back(column("detector_id", Type::kText,
                     [](const Row& r) { return text(r.aggregate_row->detector_id()); }));
  c.push_back(
      column("kind", Type::kText, [](const Row& r) { return text(r.aggregate_row->kind()); }));
  c.push_back(
      column("unit", Type::kText, [](const Row& r) { return text(r.aggregate_row->unit()); }));
  c.push_back(column("count", Type::kBigint,
                     [](const Row& r) { return std::to_string(r.aggregate_row->count()); }));
  // Mean, min and max describe measurements only: NULL for rows that count events.
  const auto measured = [](const Row& r) { return r.aggregate_row->detector_id().empty(); };
  c.push_back(column("mean", Type::kDouble, [measured](const Row& r) {
    return measured(r) ? real(r.aggregate_row->mean()) : std::nullopt;
  }));
  c.push_back(column("min", Type::kDouble, [measured](const Row& r) {
    return measured(r) ? real(r.aggregate_row->min()) : std::nullopt;
  }));
  c.push_back(column("max", Type::kDouble, [measured](const Row& r) {
    return measured(r) ? real(r.aggregate_row->max()) : std::nullopt;
  }));
  c.push_back(locationColumn([](const Row& r) {
    return r.aggregate_row->has_location() ? &r.aggregate_row->location() : nullptr;
  }));
  return t;
}

PostgresTable eventsTable(const std::string& prefix) {
  PostgresTable t{prefix + "events", messageColumns(false), {"idempotency_key"}, "observed_at"};
  auto& c = t.columns;
  c.push_back(column("detector_id", Type::kText,
                     [](const Row& r) { return text(r.event->detector_id()); }));
  c.push_back(column("kind", Type::kText, [](const Row& r) { return text(r.event->kind()); }));
  c.push_back(column("severity", Type::kText,
                     [](const Row& r) { return severityName(r.event->severity()); }));
  c.push_back(
      column("source_id", Type::kText, [](const Row& r) { return text(r.event->source_id()); }));
  c.push_back(
      column("quantity", Type::kText, [](const Row& r) { return text(r.event->quantity()); }));
  c.push_back(column("value", Type::kDouble, [](const Row& r) { return real(r.event->value()); }));
  c.push_back(
      column("threshold", Type::kDouble, [](const Row& r) { return real(r.event->threshold()); }));
  c.push_back(column("unit", Type::kText, [](const Row& r) { return text(r.event->unit()); }));
  c.push_back(
      column("summary", Type::kText, [](const Row& r) { return text(r.event->summary()); }));
  // 0 is the proto's "not stated", not a certainty of nothing.
  c.push_back(column("confidence", Type::kDouble, [](const Row& r) {
    return r.event->confidence() == 0 ? std::nullopt : real(r.event->confidence());
  }));
  c.push_back(column("observed_at", Type::kTime,
                     [](const Row& r) { return unixMs(r.event->observed_unix_ms()); }));
  c.push_back(locationColumn(
      [](const Row& r) { return r.event->has_location() ? &r.event->location() : nullptr; }));
  return t;
}

std::string createTableSql(const PostgresTable& table, bool postgis) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + quoted(table.name) + " (";
  for (const auto& c : table.columns) {
    if (c.type == Type::kLocation) {
      sql += postgis ? "location geometry(Point,4326), "
                     : "lat double precision, lon double precision, ";
    } else {
      sql += c.name + " " + sqlType(c.type) + (c.not_null ? " NOT NULL, " : ", ");
    }
  }
  // When the row reached this database, as opposed to when it was measured or sent.
  sql += "inserted_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (";
  for (size_t i = 0; i < table.primary_key.size(); ++i) {
    sql += (i > 0 ? ", " : "") + table.primary_key[i];
  }
  sql += "))";
  return sql;
}

std::string createIndexSql(const PostgresTable& table, bool postgis) {
  std::string sql = "CREATE INDEX IF NOT EXISTS " + quoted(table.name + "_" + table.time_column) +
                    " ON " + quoted(table.name) + " (" + table.time_column + ");\n";
  if (postgis) {
    sql += "CREATE INDEX IF NOT EXISTS " + quoted(table.name + "_location") + " ON " +
           quoted(table.name) + " USING gist (location);\n";
  }
  return sql;
}

std::string insertSql(const PostgresTable& table, bool postgis) {
  std::string names;
  std::string values;
  int n = 0;
  const auto param = [&n](const std::string& cast) { return "$" + std::to_string(++n) + cast; };
  for (const auto& c : table.columns) {
    if (!names.empty()) {
      names += ", ";
      values += ", ";
    }
    switch (c.type) {
      case Type::kLocation: {
        const std::string lat = param("::float8");
        const std::string lon = param("::float8");
        if (postgis) {
          names += "location";
          values += "ST_SetSRID(ST_MakePoint(" + lon + ", " + lat + "), 4326)";
        } else {
          names += "lat, lon";
          values += lat + ", " + lon;
        }
        break;
      }
      case Type::kTime:
        // Exact milliseconds in integer arithmetic; out of range is a data error (22008).
        names += c.name;
        values += "timestamptz 'epoch' + " + param("::bigint") + " * interval '1 millisecond'";
        break;
      default:
        names += c.name;
        values += param("::" + sqlType(c.type));
        break;
    }
  }
  return "INSERT INTO " + quoted(table.name) + " (" + names + ") VALUES (" + values +
         ") ON CONFLICT DO NOTHING";
}

std::vector<PostgresParam> rowParams(const PostgresTable& table, const PostgresRowSource& row) {
  std::vector<PostgresParam> params;
  for (const auto& c : table.columns) {
    if (c.type == Type::kLocation) {
      const gateway::v1::Location* at = c.location(row);
      params.push_back(at != nullptr ? real(at->lat()) : std::nullopt);
      params.push_back(at != nullptr ? real(at->lon()) : std::nullopt);
    } else {
      params.push_back(c.value(row));
    }
  }
  return params;
}

}  // namespace gw::actor_service
