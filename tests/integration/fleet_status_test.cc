// The operator's view of a fleet through the built gatewayctl, against a real Mosquitto holding
// the retained reports of three sites, signed with real gateway identities: lamp-1 offline (its
// Last Will), lamp-2 online with a refused bundle, lamp-3 online with a forged health summary.
// `fleet status --json` and plain print one row each and exit 1; once lamp-1 is back and lamp-3
// reports authentically, exit 0. Then `fleet serve`: /fleet.json, /healthz, and the page in
// headless Chromium (skipped when chromium is absent) showing every site, before and after a
// report changes while it runs; it ends cleanly on SIGTERM.
#include <gtest/gtest.h>
#include <mqtt/async_client.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "gateway/crypto/key_file.h"
#include "gateway/fleet/fleet_report.h"
#include "gateway/fleet/fleet_topics.h"
#include "tests/support/child_process.h"
#include "tests/support/headless_chromium.h"
#include "tests/support/http_get.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/temp_dir.h"

namespace gw {
namespace {

using gateway::v1::FleetReport;
using gateway::v1::PolicyStatus;
using gw::testing::ChildProcess;
using gw::testing::httpGet;
using gw::testing::MosquittoBroker;
using gw::testing::waitUntil;
using nlohmann::json;

class FleetStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::initSodium().ok());
    for (const auto* key : {&lamp1_, &lamp2_, &lamp3_}) {
      ASSERT_TRUE(crypto::writeIdentityKeyPair(*key, dir_ / "gateways", key->owner).ok());
    }
    // The secret halves stay with the sites: only the .pub files are pinned.
    for (const auto* key : {&lamp1_, &lamp2_, &lamp3_}) {
      std::filesystem::remove(dir_ / "gateways" / (key->owner + ".key"));
    }
    ASSERT_TRUE(crypto::writeOperatorKeyPair(operator_, dir_ / "ops").ok());
    client_ = std::make_unique<mqtt::async_client>(broker_.url(), "fleet-status-test-sites");
    client_->connect()->wait();

    publish(fleet::onlineTopic("lamp-1"), "offline");  // what its Last Will left
    publish(fleet::healthTopic("lamp-1"), signedHealth(lamp1_, 12, 50000));
    publish(fleet::policyStatusTopic("lamp-1"),
            signedPolicy(lamp1_, PolicyStatus::OUTCOME_CONFIRMED, 12, 12, ""));

    publish(fleet::onlineTopic("lamp-2"), "online");
    publish(fleet::healthTopic("lamp-2"), signedHealth(lamp2_, 12, 5000));
    publish(fleet::policyStatusTopic("lamp-2"),
            signedPolicy(lamp2_, PolicyStatus::OUTCOME_REFUSED, 13, 12,
                         "version 13 is not above the version running"));

    publish(fleet::onlineTopic("lamp-3"), "online");
    publish(fleet::policyStatusTopic("lamp-3"),
            signedPolicy(lamp3_, PolicyStatus::OUTCOME_CONFIRMED, 12, 12, ""));
    // Someone who may write lamp-3's topic says it runs bundle 99: the signature does not hold.
    auto forged = fleet::signFleetReport(health(lamp3_, 12, 1000), lamp3_);
    forged.mutable_report()->back() ^= 1;
    publish(fleet::healthTopic("lamp-3"), forged.SerializeAsString());
  }

  void TearDown() override {
    if (client_ && client_->is_connected()) client_->disconnect()->wait();
  }

  static FleetReport health(const crypto::IdentityKey& key, uint64_t version, int64_t age_ms) {
    FleetReport r;
    r.set_site(key.owner);
    r.set_group("north");
    r.set_sent_unix_ms(nowMs() - age_ms);
    auto* h = r.mutable_health();
    h->set_gateway_version("0.23.0");
    h->set_policy_version(version);
    auto* cam = h->add_sources();
    cam->set_id("cam-1");
    cam->set_state("ok");
    auto* fall = h->add_detectors();
    fall->set_id("fall");
    fall->set_state("ok");
    h->set_outbox_messages(3);
    h->set_outbox_oldest_age_seconds(2);
    h->set_broker_connected(true);
    h->set_healthy(true);
    return r;
  }
  static std::string signedHealth(const crypto::IdentityKey& key, uint64_t version,
                                  int64_t age_ms) {
    return fleet::signFleetReport(health(key, version, age_ms), key).SerializeAsString();
  }
  std::string signedPolicy(const crypto::IdentityKey& key, PolicyStatus::Outcome outcome,
                           uint64_t bundle, uint64_t running, const std::string& reason) const {
    FleetReport r;
    r.set_site(key.owner);
    r.set_group("north");
    r.set_sent_unix_ms(nowMs() - 60000);
    auto* p = r.mutable_policy();
    p->set_outcome(outcome);
    p->set_bundle_version(bundle);
    p->set_running_version(running);
    p->set_reason(reason);
    p->set_operator_name("city-ops");
    p->set_signer_key_id(operator_.key_id);
    return fleet::signFleetReport(r, key).SerializeAsString();
  }
  static int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  void publish(const std::string& topic, const std::string& payload) {
    client_->publish(mqtt::make_message(topic, payload, 1, true))->wait();
  }

  // What lamp-1 and lamp-3 say once they are fine again.
  void recover() {
    publish(fleet::onlineTopic("lamp-1"), "online");
    publish(fleet::healthTopic("lamp-1"), signedHealth(lamp1_, 12, 0));
    publish(fleet::healthTopic("lamp-3"), signedHealth(lamp3_, 12, 0));
  }

  std::vector<std::string> watchArgs() const {
    return {"--broker",       broker_.url(),
            "--operator-key", (dir_ / "ops" / "city-ops.pub").string(),
            "--gateway-keys", (dir_ / "gateways").string()};
  }

  // Runs gatewayctl with `args`; its exit code, stdout in out_ and stderr in err_.
  int ctl(std::vector<std::string> args) {
    args.insert(args.begin(), gw::testing::appBinary("gatewayctl"));
    ChildProcess run({args, {}, dir_ / "out.txt", dir_ / "err.txt"});
    auto status = run.wait(std::chrono::seconds(30));
    EXPECT_TRUE(status.has_value());
    out_ = run.readStdout();
    err_ = run.readStderr();
    return status ? ChildProcess::exitCode(*status) : -1;
  }
  int status(const std::vector<std::string>& extra) {
    std::vector<std::string> args{"fleet", "status", "--wait", "800"};
    for (auto& a : watchArgs()) args.push_back(a);
    for (const auto& a : extra) args.push_back(a);
    return ctl(args);
  }

  // The three rows as the JSON says them, keyed by site.
  static std::map<std::string, json> bySite(const std::string& text) {
    std::map<std::string, json> rows;
    for (const auto& row : json::parse(text)) rows[row["site"]] = row;
    return rows;
  }

  gw::testing::TempDir dir_;
  MosquittoBroker broker_;
  std::unique_ptr<mqtt::async_client> client_;
  crypto::IdentityKey lamp1_ = crypto::generateIdentityKey("lamp-1");
  crypto::IdentityKey lamp2_ = crypto::generateIdentityKey("lamp-2");
  crypto::IdentityKey lamp3_ = crypto::generateIdentityKey("lamp-3");
  crypto::IdentityKey operator_ = crypto::generateIdentityKey("city-ops");
  std::string out_, err_;
};

TEST_F(FleetStatusTest, StatusPrintsOneRowPerSiteAndExitsOneUntilEverySiteIsFine) {
  ASSERT_EQ(status({"--json"}), 1) << out_ << err_;
  const json array = json::parse(out_);
  ASSERT_EQ(array.size(), 3u) << out_;
  EXPECT_EQ(array[0]["site"], "lamp-1");  // sorted by site
  EXPECT_EQ(array[2]["site"], "lamp-3");
  auto rows = bySite(out_);

  EXPECT_EQ(rows["lamp-1"]["state"], "offline");
  EXPECT_EQ(rows["lamp-1"]["link"], "offline");
  EXPECT_EQ(rows["lamp-1"]["health"], "ok");
  EXPECT_EQ(rows["lamp-1"]["trust"], "pinned");
  EXPECT_EQ(rows["lamp-1"]["gateway_key_id"], lamp1_.key_id);

  EXPECT_EQ(rows["lamp-2"]["state"], "ok");  // a refused bundle leaves the running one untouched
  EXPECT_EQ(rows["lamp-2"]["ok"], true);
  EXPECT_EQ(rows["lamp-2"]["policy_outcome"], "refused");
  EXPECT_EQ(rows["lamp-2"]["policy_bundle_version"], 13);
  EXPECT_EQ(rows["lamp-2"]["policy_reason"], "version 13 is not above the version running");
  EXPECT_EQ(rows["lamp-2"]["running_version"], 12);
  EXPECT_EQ(rows["lamp-2"]["foreign_signer"], false);
  EXPECT_EQ(rows["lamp-2"]["sources_ok"], 1);
  EXPECT_EQ(rows["lamp-2"]["outbox_messages"], 3);
  EXPECT_LT(rows["lamp-2"]["summary_age_seconds"].get<double>(), 60);
  EXPECT_EQ(rows["lamp-2"]["stale"], false);

  EXPECT_EQ(rows["lamp-3"]["state"], "error");
  EXPECT_EQ(rows["lamp-3"]["health"], "unknown");  // the forged summary is never trusted
  ASSERT_EQ(rows["lamp-3"]["errors"].size(), 1u);
  EXPECT_EQ(rows["lamp-3"]["errors"][0], "forged report: health: the signature does not hold");
  EXPECT_NE(err_.find("sites 3: online 2, offline 1, stale 0, unhealthy 1; policy versions: 12 "
                      "x3; forged reports at 1, foreign signer at 0"),
            std::string::npos)
      << err_;

  ASSERT_EQ(status({}), 1) << out_ << err_;
  EXPECT_NE(out_.find("SITE"), std::string::npos) << out_;
  EXPECT_NE(out_.find("refused v13: version 13 is not above the version running"),
            std::string::npos)
      << out_;
  EXPECT_NE(out_.find("forged report: health: the signature does not hold"), std::string::npos)
      << out_;
  EXPECT_NE(out_.find("\nsites 3: online 2, offline 1"), std::string::npos) << out_;

  // Only lamp-1's key pinned: the others are shown, as unpinned.
  std::filesystem::remove(dir_ / "gateways" / "lamp-2.pub");
  std::filesystem::remove(dir_ / "gateways" / "lamp-3.pub");
  ASSERT_EQ(status({"--json"}), 1) << out_ << err_;
  rows = bySite(out_);
  EXPECT_EQ(rows["lamp-1"]["trust"], "pinned");
  EXPECT_EQ(rows["lamp-2"]["trust"], "unpinned");

  recover();
  ASSERT_EQ(status({}), 0) << out_ << err_;
  EXPECT_NE(out_.find("sites 3: online 3, offline 0, stale 0, unhealthy 0; policy versions: 12 x3"),
            std::string::npos)
      << out_;
  // The same fleet with a 1 s staleness: lamp-2's summary, sent 5 s before the test began, is
  // stale, which fails the run as well.
  EXPECT_EQ(status({"--json", "--stale-after", "1"}), 1) << out_ << err_;
  rows = bySite(out_);
  EXPECT_EQ(rows["lamp-2"]["stale"], true);
  EXPECT_EQ(rows["lamp-2"]["state"], "stale");
}

TEST_F(FleetStatusTest, StatusExitsTwoWhenItCannotStart) {
  // Nothing listens there.
  const int port = gw::testing::freeLoopbackPort();
  EXPECT_EQ(ctl({"fleet", "status", "--broker", "tcp://127.0.0.1:" + std::to_string(port),
                 "--operator-key", (dir_ / "ops" / "city-ops.pub").string()}),
            2);
  EXPECT_NE(err_.find("cannot connect"), std::string::npos) << err_;
  // A gateway key given as the operator's.
  EXPECT_EQ(ctl({"fleet", "status", "--broker", broker_.url(), "--operator-key",
                 (dir_ / "gateways" / "lamp-1.pub").string()}),
            2);
  EXPECT_FALSE(err_.empty());
}

// Debian's chromium, headless, loads the page from the running `fleet serve`, runs its script
// (the first render and at least one refresh from /fleet.json), and we read the DOM.
using gw::testing::findChromium;
using gw::testing::renderedDom;

// The <tr> of `site` as the script built it: its class and the text of its <td class="<cls>">.
std::string rowClass(const std::string& dom, const std::string& site) {
  const std::string open = "<tr data-site=\"" + site + "\" class=\"";
  const auto at = dom.find(open);
  if (at == std::string::npos) return "<no row " + site + ">";
  const auto start = at + open.size();
  return dom.substr(start, dom.find('"', start) - start);
}
std::string cell(const std::string& dom, const std::string& site, const std::string& cls) {
  const auto tr = dom.find("<tr data-site=\"" + site + "\"");
  if (tr == std::string::npos) return "<no row " + site + ">";
  const auto end = dom.find("</tr>", tr);
  const std::string open = "<td class=\"" + cls + "\">";
  const auto td = dom.find(open, tr);
  if (td == std::string::npos || td > end) return "<no cell " + cls + ">";
  const auto text = td + open.size();
  return dom.substr(text, dom.find('<', text) - text);
}
int refreshes(const std::string& dom) {
  const std::string marker = "id=\"refreshes\">";
  const auto at = dom.find(marker);
  return at == std::string::npos ? -1 : std::stoi(dom.substr(at + marker.size()));
}

TEST_F(FleetStatusTest, ServeShowsTheFleetAndWhatChangesWhileItRuns) {
  const int port = gw::testing::freeLoopbackPort();
  std::vector<std::string> args{gw::testing::appBinary("gatewayctl"), "fleet", "serve", "--listen",
                                "127.0.0.1:" + std::to_string(port)};
  for (auto& a : watchArgs()) args.push_back(a);
  ChildProcess serve({args, {}, dir_ / "serve.out", dir_ / "serve.err"});
  ASSERT_TRUE(waitUntil(
      [&] {
        auto reply = httpGet(port, "/healthz");
        return reply && reply->status == 200;
      },
      std::chrono::seconds(15)))
      << serve.readStderr();
  EXPECT_NE(serve.readStderr().find("fleet page on http://127.0.0.1:" + std::to_string(port)),
            std::string::npos);

  // The retained reports arrive right after the subscription; /fleet.json is --json's array.
  std::map<std::string, json> rows;
  ASSERT_TRUE(waitUntil(
      [&] {
        auto reply = httpGet(port, "/fleet.json");
        if (!reply || reply->status != 200) return false;
        rows = bySite(reply->body);
        return rows.size() == 3 && rows["lamp-3"]["state"] == "error";
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(rows["lamp-1"]["state"], "offline");
  EXPECT_EQ(rows["lamp-2"]["policy_outcome"], "refused");
  auto page = httpGet(port, "/");
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page->body.find("<script src"), std::string::npos);  // no external assets
  EXPECT_EQ(httpGet(port, "/nothing")->status, 404);

  const std::string chromium = findChromium();
  if (!chromium.empty()) {
    const std::string before = renderedDom(chromium, dir_.path(), port, "before");
    EXPECT_EQ(rowClass(before, "lamp-1"), "state-offline") << before;
    EXPECT_EQ(rowClass(before, "lamp-2"), "state-ok");
    EXPECT_EQ(rowClass(before, "lamp-3"), "state-error");
    EXPECT_EQ(cell(before, "lamp-2", "outcome"),
              "refused v13: version 13 is not above the version running");
    EXPECT_EQ(cell(before, "lamp-2", "policy"), "12");
    EXPECT_EQ(cell(before, "lamp-2", "trust"), "pinned");
    EXPECT_EQ(cell(before, "lamp-3", "notes"),
              "forged report: health: the signature does not hold");
    EXPECT_GE(refreshes(before), 1) << "the page did not fetch /fleet.json by itself";
    EXPECT_NE(before.find("sites 3: online 2, offline 1"), std::string::npos);
  }

  // While it runs: lamp-1 comes back, lamp-3 reports authentically, lamp-2 applies bundle 13.
  recover();
  publish(fleet::policyStatusTopic("lamp-2"),
          signedPolicy(lamp2_, PolicyStatus::OUTCOME_APPLIED, 13, 13, ""));
  ASSERT_TRUE(waitUntil(
      [&] {
        auto reply = httpGet(port, "/fleet.json");
        if (!reply || reply->status != 200) return false;
        rows = bySite(reply->body);
        return rows.size() == 3 && rows["lamp-1"]["ok"] == true && rows["lamp-3"]["ok"] == true &&
               rows["lamp-2"]["policy_outcome"] == "applied";
      },
      std::chrono::seconds(10)));
  if (!chromium.empty()) {
    const std::string after = renderedDom(chromium, dir_.path(), port, "after");
    for (const std::string site : {"lamp-1", "lamp-2", "lamp-3"}) {
      EXPECT_EQ(rowClass(after, site), "state-ok") << site << "\n" << after;
    }
    EXPECT_EQ(cell(after, "lamp-1", "link"), "online");
    EXPECT_EQ(cell(after, "lamp-2", "outcome"), "applied v13");
    EXPECT_EQ(cell(after, "lamp-3", "notes"), "");
    EXPECT_NE(after.find("sites 3: online 3, offline 0, stale 0, unhealthy 0"), std::string::npos);
  }

  serve.signal(SIGTERM);
  auto rc = serve.wait(std::chrono::seconds(10));
  ASSERT_TRUE(rc.has_value()) << "fleet serve did not end on SIGTERM";
  EXPECT_EQ(ChildProcess::exitCode(*rc), 0) << serve.readStderr();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed: the page was not rendered";
}

}  // namespace
}  // namespace gw
