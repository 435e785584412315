#pragma once
// Splitting text records: lines ending in \n, \r\n or a lone \r (Rijkswaterstaat's DDL export
// uses CR only), and separated fields with optional double quotes ("a;b" stays one field).
#include <string_view>
#include <vector>

namespace gw::sources {

std::vector<std::string_view> splitLines(std::string_view text);
std::vector<std::string_view> splitFields(std::string_view line, char separator);
std::string_view trimField(std::string_view field);

}  // namespace gw::sources
