#include "tests/support/headless_chromium.h"

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace gw::testing {

std::string findChromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return "";
}

std::string renderedDom(const std::string& chromium, const std::filesystem::path& scratch, int port,
                        const std::string& tag) {
  const auto profile = scratch / ("chromium-profile-" + tag);
  ChildProcess browser(
      {{chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile.string(),
        // Virtual time: long enough for two of the page's 2 s refreshes.
        "--virtual-time-budget=5000", "--dump-dom",
        "http://127.0.0.1:" + std::to_string(port) + "/"},
       {},
       scratch / ("dom-" + tag + ".html"),
       scratch / ("chromium-" + tag + ".err")});
  if (!browser.wait(std::chrono::seconds(60))) return "";
  return readWholeFile(scratch / ("dom-" + tag + ".html"));
}

}  // namespace gw::testing
