#pragma once
// A real PostgreSQL from Debian for tests, like mosquitto_broker.h for Mosquitto: a fresh cluster
// (initdb) in a private directory, listening on a Unix socket only in that directory (no TCP
// port, so nothing else on the machine can reach it or clash with it), with password (SCRAM)
// authentication, and a database created in it. Run as root (CI), the server runs as the
// `postgres` user, since PostgreSQL refuses to run as root. start() returns once it accepts
// connections (a PQping poll with a deadline, never a fixed sleep); stopped on destruction.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace gw::testing {

class PostgresServer {
 public:
  // The directory of initdb, pg_ctl and postgres (the newest /usr/lib/postgresql/*/bin), or
  // nullopt when the server is not installed: tests skip then, saying so.
  static std::optional<std::filesystem::path> binDir();
  // True when that server offers the extension (e.g. postgis) to CREATE EXTENSION: its control
  // file is installed. Known without starting a server.
  static bool extensionInstalled(const std::string& name);

  // initdb, start, createdb `database`. Throws std::runtime_error with the server's log on failure.
  explicit PostgresServer(std::string database = "lantaarn");
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // A libpq connection string for `database` without the password: host=<socket dir> port=...
  std::string conninfo() const;
  std::string conninfo(const std::string& database) const;
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }

  // Stops it (pg_ctl stop -m fast: sessions are cut off) and starts it again on the same socket.
  void stop();
  void start();

  // Runs SQL as the superuser in `database` and returns the first column of the first row ("" if
  // there is none). Throws on an error. For setting up and checking, never for the code under test.
  std::string query(const std::string& sql) const;
  std::string query(const std::string& database, const std::string& sql) const;

  std::string log() const;

 private:
  // Runs a PostgreSQL program as the server's user; throws with its output if it fails.
  void run(const std::string& program, const std::vector<std::string>& args) const;

  std::filesystem::path bin_;
  TempDir dir_;
  std::filesystem::path data_;
  std::filesystem::path socket_dir_;
  int port_;
  std::string user_ = "postgres";
  std::string password_ = "lantaarn-test-password";
  std::string database_;
  bool running_ = false;
};

}  // namespace gw::testing
