// End to end through the built binaries and a real Mosquitto (issue 20): a broker whose ACL
// refuses one actor's topics (an ACL not regenerated after a policy change) leaves the other
// actor's stream flowing; the refused messages are dead-lettered, listed by `gatewayctl outbox
// dead-letters`, and reach their actor after the ACL is fixed and `gatewayctl outbox resend`.
// And a state dir written for one site is never published under another.
#include <unistd.h>

#include "tests/e2e/outage_fixture.h"

namespace gw::e2e {
namespace {

// The ACL file lives outside the fixture's directory: the broker starts before that exists.
std::filesystem::path aclPath() {
  static int n = 0;
  return std::filesystem::temp_directory_path() /
         ("lantaarn-refused-acl-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
}

// Anonymous clients (the lines before any `user`): everyone reads; gatewayd may write only the
// municipality's topics and its own status, as an ACL written before the rijkswaterstaat route
// was added would say.
std::string acl(bool rijkswaterstaat_allowed) {
  std::string text = std::string("topic read #\ntopic write lantaarn/v1/") + kSite +
                     "/municipality/#\ntopic write lantaarn/v1/" + kSite + "/_gateway/#\n";
  if (rijkswaterstaat_allowed) {
    text += std::string("topic write lantaarn/v1/") + kSite + "/rijkswaterstaat/#\n";
  }
  return text;
}

class RefusedStreamE2eTest : public BrokerOutageE2eTest {
 protected:
  RefusedStreamE2eTest() : RefusedStreamE2eTest(aclPath()) {}
  ~RefusedStreamE2eTest() override { std::filesystem::remove(acl_file_); }

  std::unique_ptr<ChildProcess> gatewaydOn(const std::string& policy_text, const std::string& tag,
                                           bool quarantine = false) {
    std::ofstream(dir_ / (tag + ".yaml")) << policy_text;
    std::vector<std::string> argv{gw::testing::appBinary("gatewayd"),
                                  "--policy",
                                  (dir_ / (tag + ".yaml")).string(),
                                  "--broker",
                                  broker_.url(),
                                  "--ops-listen",
                                  "off",
                                  "--state-dir",
                                  (dir_ / "state").string()};
    if (quarantine) argv.push_back("--quarantine-foreign-outbox");
    auto child = std::make_unique<ChildProcess>(
        ChildProcess::Options{argv, {}, dir_ / (tag + ".out"), dir_ / (tag + ".err"), true});
    return child;
  }

  void feed(int port, int from, int to) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
    std::string chunk;
    for (int i = from; i < to; ++i) chunk += readingLine(i, base_ms_);
    boost::asio::write(socket, boost::asio::buffer(chunk));
  }

  json ctl(std::vector<std::string> args, const std::string& tag) {
    args.insert(args.begin(), gw::testing::appBinary("gatewayctl"));
    ChildProcess run({args, {}, dir_ / (tag + ".out"), dir_ / (tag + ".err")});
    EXPECT_EQ(run.wait(std::chrono::seconds(20)).value_or(-1), 0) << run.readStderr();
    return json::parse(run.readStdout(), nullptr, false);
  }

  const std::filesystem::path acl_file_;
  const int64_t base_ms_ = nowMs() - 60'000;

 private:
  explicit RefusedStreamE2eTest(std::filesystem::path acl_file)
      : BrokerOutageE2eTest(writeAcl(acl_file)), acl_file_(std::move(acl_file)) {}
  static std::vector<std::string> writeAcl(const std::filesystem::path& path) {
    std::ofstream(path) << acl(false);
    return {"acl_file " + path.string()};
  }
};

TEST_F(RefusedStreamE2eTest, OneRefusedActorNeverStopsTheOtherAndGetsItsMessagesAfterTheFix) {
  auto municipality = subscribe("municipality");
  auto rijkswaterstaat = subscribe("rijkswaterstaat");
  const int port = gw::testing::freeLoopbackPort();
  // The dead letters are counted one per reading: no batching under a backlog.
  auto gateway = gatewaydOn(policyText(dir_.path(), port, false), "gatewayd");
  ASSERT_TRUE(
      waitUntil([&] { return gw::testing::acceptsConnections(port); }, std::chrono::seconds(20)))
      << gateway->readStderr();
  constexpr int kReadings = 400;  // half each actor's
  feed(port, 0, kReadings);

  ASSERT_TRUE(waitUntil(
      [&] { return distinct(valuesIn(dir_ / "municipality.out", base_ms_)) >= kReadings / 2; },
      std::chrono::seconds(60)))
      << distinct(valuesIn(dir_ / "municipality.out", base_ms_)) << "\n"
      << gateway->readStderr().substr(0, 4000);
  EXPECT_EQ(valuesIn(dir_ / "rijkswaterstaat.out", base_ms_).size(), 0u);

  // The refused stream is in the dead letters, with its reason, and nowhere else.
  const std::string state = (dir_ / "state").string();
  json letters;
  ASSERT_TRUE(waitUntil(
      [&] {
        letters = ctl({"outbox", "dead-letters", "--state-dir", state, "--json"}, "list");
        return letters.is_array() && letters.size() >= kReadings / 2;
      },
      std::chrono::seconds(30)))
      << letters.dump().substr(0, 2000);
  for (const auto& l : letters) {
    EXPECT_EQ(l["actor"], "rijkswaterstaat");
    EXPECT_EQ(l["reason"], "not_authorized");
  }

  // The operator regenerates the ACL and asks for the messages again: every one arrives.
  std::ofstream(acl_file_) << acl(true);
  broker_.reload();
  ChildProcess resend({{gw::testing::appBinary("gatewayctl"), "outbox", "resend", "--state-dir",
                        state, "--actor", "rijkswaterstaat"},
                       {},
                       dir_ / "resend.out",
                       dir_ / "resend.err"});
  ASSERT_EQ(resend.wait(std::chrono::seconds(20)).value_or(-1), 0) << resend.readStderr();
  EXPECT_NE(resend.readStdout().find("queued"), std::string::npos);
  EXPECT_TRUE(waitUntil(
      [&] { return distinct(valuesIn(dir_ / "rijkswaterstaat.out", base_ms_)) >= kReadings / 2; },
      std::chrono::seconds(60)))
      << distinct(valuesIn(dir_ / "rijkswaterstaat.out", base_ms_)) << "\n"
      << gateway->readStderr().substr(0, 4000);
  EXPECT_TRUE(waitUntil(
      [&] {
        return ctl({"outbox", "dead-letters", "--state-dir", state, "--json"}, "after").empty();
      },
      std::chrono::seconds(10)));
  gateway->signal(SIGTERM);
  EXPECT_TRUE(gateway->wait(std::chrono::seconds(30)).has_value());
}

TEST_F(RefusedStreamE2eTest, AStateDirOfAnotherSiteIsRefusedAtStartAndQuarantinedOnRequest) {
  const int port = gw::testing::freeLoopbackPort();
  {
    auto first = gatewaydOn(policyText(dir_.path(), port, false), "site-x");
    ASSERT_TRUE(
        waitUntil([&] { return gw::testing::acceptsConnections(port); }, std::chrono::seconds(20)))
        << first->readStderr();
    first->signal(SIGTERM);
    ASSERT_TRUE(first->wait(std::chrono::seconds(30)).has_value());
  }
  // The same box, the same state dir, another site's policy.
  std::string other = policyText(dir_.path(), port, false);
  for (size_t at; (at = other.find(kSite)) != std::string::npos;) {
    other.replace(at, std::string(kSite).size(), "other-site");
  }
  auto refused = gatewaydOn(other, "site-y");
  const auto status = refused->wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value()) << "gatewayd must not run on another site's outbox";
  EXPECT_NE(ChildProcess::exitCode(*status), 0);
  EXPECT_NE(refused->readStderr().find("belongs to site 'outage-site'"), std::string::npos)
      << refused->readStderr();

  // Asked to, it moves the other site's outbox aside (kept) and runs.
  auto moved = gatewaydOn(other, "site-y-quarantine", true);
  EXPECT_TRUE(
      waitUntil([&] { return gw::testing::acceptsConnections(port); }, std::chrono::seconds(20)))
      << moved->readStderr();
  int aside = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "state")) {
    if (entry.path().filename().string().rfind("outbox.quarantine-", 0) == 0) ++aside;
  }
  EXPECT_EQ(aside, 1);
  moved->signal(SIGTERM);
  EXPECT_TRUE(moved->wait(std::chrono::seconds(30)).has_value());
}

}  // namespace
}  // namespace gw::e2e
