// The fleet page's HTTP handler without a socket: which paths answer what, /healthz following the
// broker link, and a site name that tries to end the page's script staying inert data.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/fleet/fleet_server.h"

namespace gw::fleet {
namespace {

SiteRow siteNamed(const std::string& name) {
  SiteRow r;
  r.site = name;
  r.state = "unknown";
  r.link = "unknown";
  r.trust = "none";
  r.policy_outcome = "unknown";
  return r;
}

TEST(FleetServerTest, AnswersThePageTheJsonAndHealthzAndNothingElse) {
  bool connected = true;
  FleetServer server({"127.0.0.1", 0}, [&] {
    return FleetView{{siteNamed("lamp-1"), siteNamed("</script><!--<script>alert(1)")}, connected};
  });
  const auto json = server.handle("GET", "/fleet.json");
  EXPECT_EQ(json.status, 200u);
  EXPECT_EQ(json.content_type, "application/json");
  const auto rows = nlohmann::json::parse(json.body);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1]["site"], "</script><!--<script>alert(1)");

  const auto page = server.handle("GET", "/?refresh=1");
  EXPECT_EQ(page.status, 200u);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("\\u003c/script>\\u003c!--\\u003cscript>alert(1)"), std::string::npos);
  EXPECT_EQ(page.body.find("<!--<script>"), std::string::npos);
  EXPECT_NE(page.body.find("link(true)"), std::string::npos);

  EXPECT_EQ(server.handle("GET", "/healthz").status, 200u);
  connected = false;
  const auto down = server.handle("GET", "/healthz");
  EXPECT_EQ(down.status, 503u);
  EXPECT_EQ(down.body, "broker link down\n");

  EXPECT_EQ(server.handle("GET", "/status").status, 404u);
  EXPECT_EQ(server.handle("POST", "/fleet.json").status, 405u);
}

}  // namespace
}  // namespace gw::fleet
