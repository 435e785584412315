#include "tests/support/postgres_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "tests/support/child_process.h"
#include "tests/support/mosquitto_broker.h"

namespace gw::testing {
namespace {

namespace fs = std::filesystem;

// Root may not run PostgreSQL: as root, the files are the `postgres` user's and its programs run
// as that user.
bool asRoot() { return ::geteuid() == 0; }

void giveToPostgres(const fs::path& path) {
  if (!asRoot()) return;
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) throw std::runtime_error("running as root, but there is no user postgres");
  if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    throw std::runtime_error("cannot chown " + path.string() + " to postgres");
  }
}

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

}  // namespace

std::optional<fs::path> PostgresServer::binDir() {
  std::optional<fs::path> best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (!fs::exists(bin / "postgres") || !fs::exists(bin / "initdb") ||
        !fs::exists(bin / "pg_ctl")) {
      continue;
    }
    int version = 0;
    try {
      version = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    if (version > best_version) {
      best_version = version;
      best = bin;
    }
  }
  return best;
}

bool PostgresServer::extensionInstalled(const std::string& name) {
  const auto bin = binDir();
  if (!bin) return false;
  // Debian: /usr/lib/postgresql/<v>/bin goes with /usr/share/postgresql/<v>/extension.
  const fs::path version = bin->parent_path().filename();
  std::error_code ec;
  return fs::exists(fs::path("/usr/share/postgresql") / version / "extension" / (name + ".control"),
                    ec);
}

PostgresServer::PostgresServer(std::string database)
    : dir_("lantaarn-postgres"), port_(freeLoopbackPort()), database_(std::move(database)) {
  const auto bin = binDir();
  if (!bin) throw std::runtime_error("PostgreSQL server binaries not found");
  bin_ = *bin;
  data_ = dir_ / "data";
  socket_dir_ = dir_ / "socket";
  fs::create_directories(socket_dir_);
  const fs::path pwfile = dir_ / "pwfile";
  std::ofstream(pwfile) << password_ << "\n";
  for (const fs::path& p : {dir_.path(), socket_dir_, pwfile}) giveToPostgres(p);
  // SCRAM for every connection, so the sink's password really is checked; no fsync: a test
  // cluster need not survive a power cut, and initdb and commits are much faster without it.
  run("initdb", {"-D", data_.string(), "-U", user_, "--pwfile", pwfile.string(), "-A",
                 "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"});
  start();
  ChildProcess createdb({{(bin_ / "createdb").string(), "-h", socket_dir_.string(), "-p",
                          std::to_string(port_), "-U", user_, database_},
                         {{"PGPASSWORD", password_}},
                         dir_ / "createdb.log",
                         dir_ / "createdb.log",
                         true});
  const auto status = createdb.wait(std::chrono::seconds(30));
  if (!status || ChildProcess::exitCode(*status) != 0) {
    throw std::runtime_error("createdb failed: " + readWholeFile(dir_ / "createdb.log"));
  }
}

PostgresServer::~PostgresServer() {
  try {
    stop();
  } catch (const std::exception&) {
    // Already gone; TempDir removes what is left.
  }
}

std::string PostgresServer::conninfo() const { return conninfo(database_); }

std::string PostgresServer::conninfo(const std::string& database) const {
  return "host=" + socket_dir_.string() + " port=" + std::to_string(port_) + " user=" + user_ +
         " dbname=" + database;
}

void PostgresServer::run(const std::string& program, const std::vector<std::string>& args) const {
  std::vector<std::string> argv;
  if (asRoot()) argv = {"runuser", "-u", "postgres", "--"};
  argv.push_back((bin_ / program).string());
  argv.insert(argv.end(), args.begin(), args.end());
  const fs::path output = dir_ / (program + ".out");
  ChildProcess child({argv, {}, output, output, false});
  const auto status = child.wait(std::chrono::seconds(60));
  if (!status || ChildProcess::exitCode(*status) != 0) {
    throw std::runtime_error(program + " failed: " + readWholeFile(output) + "\nlog: " + log());
  }
}

void PostgresServer::start() {
  if (running_) return;
  // A Unix socket in our directory and no TCP listener; fsync off as for initdb.
  run("pg_ctl", {"-D", data_.string(), "-l", (dir_ / "postgres.log").string(), "-W", "-o",
                 "-k " + socket_dir_.string() + " -p " + std::to_string(port_) +
                     " -c listen_addresses='' -c fsync=off",
                 "start"});
  running_ = true;
  const std::string ping = conninfo("postgres");
  if (!waitUntil([&] { return PQping(ping.c_str()) == PQPING_OK; }, std::chrono::seconds(20))) {
    throw std::runtime_error("PostgreSQL did not accept connections: " + log());
  }
}

void PostgresServer::stop() {
  if (!running_) return;
  running_ = false;
  // -m fast: open sessions are cut off, as when a server goes down under a client.
  run("pg_ctl", {"-D", data_.string(), "-m", "fast", "-w", "-t", "30", "stop"});
}

std::string PostgresServer::query(const std::string& sql) const { return query(database_, sql); }

std::string PostgresServer::query(const std::string& database, const std::string& sql) const {
  const std::string info = conninfo(database) + " password=" + password_;
  std::unique_ptr<PGconn, ConnDeleter> conn(PQconnectdb(info.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("cannot connect: ") + PQerrorMessage(conn.get()));
  }
  std::unique_ptr<PGresult, ResultDeleter> r(PQexec(conn.get(), sql.c_str()));
  const auto status = PQresultStatus(r.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(r.get()));
  }
  if (status != PGRES_TUPLES_OK || PQntuples(r.get()) == 0) return "";
  return PQgetisnull(r.get(), 0, 0) ? "NULL" : PQgetvalue(r.get(), 0, 0);
}

std::string PostgresServer::log() const { return readWholeFile(dir_ / "postgres.log"); }

}  // namespace gw::testing
