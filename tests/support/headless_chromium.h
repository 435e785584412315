#pragma once
// A page in a real browser, for the tests of the pages Lantaarn serves (the ops status page, the
// fleet page): Debian's chromium, headless, loads http://127.0.0.1:<port>/, runs its script for
// 5 s of virtual time (two of the pages' 2 s refreshes), and dumps the resulting DOM.
#include <filesystem>
#include <string>

namespace gw::testing {

// The chromium binary, or "" when it is not installed (the test then skips).
std::string findChromium();

// The DOM after the page's script ran; "" when chromium did not finish within 60 s. `tag` names
// the profile and output files under `scratch`, so one test can load the page several times.
std::string renderedDom(const std::string& chromium, const std::filesystem::path& scratch, int port,
                        const std::string& tag);

}  // namespace gw::testing
