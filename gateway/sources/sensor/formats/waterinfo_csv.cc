#include "gateway/sources/sensor/formats/waterinfo_csv.h"

#include <charconv>
#include <cmath>

#include "gateway/sources/sensor/formats/text_split.h"
#include "gateway/sources/sensor/formats/time_parse.h"

namespace gw::sources {
namespace {

// The DDL export (and Rijkswaterstaat's web services) use MET, UTC+1 all year; the waterinfo.rws.nl
// short export uses Dutch civil time. Two exports of the same day and station agree only with these
// two readings (tests/unit/sources/formats_test.cc), which is how this was checked.
constexpr int kDdlOffsetMinutes = 60;

bool parseDecimal(std::string_view text, double* out) {
  // Dutch exports use a decimal comma.
  std::string copy(trimField(text));
  for (char& c : copy) {
    if (c == ',') c = '.';
  }
  if (copy.empty()) return false;
  auto [ptr, ec] = std::from_chars(copy.data(), copy.data() + copy.size(), *out);
  return ec == std::errc() && ptr == copy.data() + copy.size();
}

}  // namespace

void utm31nToLatLon(double easting, double northing, double* lat, double* lon) {
  // Inverse transverse Mercator on GRS80 (Snyder, "Map Projections: A Working Manual", p. 63).
  // Snyder's a (semi-major axis, m), f (flattening), k0 (scale on the central meridian) and lon0
  // (longitude of the central meridian, rad).
  constexpr double kSemiMajorAxis = 6378137.0, kFlattening = 1 / 298.257222101, k0 = 0.9996;
  constexpr double kLon0 = 3.0 * M_PI / 180.0;  // zone 31 central meridian
  const double e2 = kFlattening * (2 - kFlattening), ep2 = e2 / (1 - e2);
  const double x = easting - 500000.0, m = northing / k0;
  const double mu = m / (kSemiMajorAxis * (1 - e2 / 4 - 3 * e2 * e2 / 64 - 5 * e2 * e2 * e2 / 256));
  const double e1 = (1 - std::sqrt(1 - e2)) / (1 + std::sqrt(1 - e2));
  const double phi1 = mu + (3 * e1 / 2 - 27 * std::pow(e1, 3) / 32) * std::sin(2 * mu) +
                      (21 * e1 * e1 / 16 - 55 * std::pow(e1, 4) / 32) * std::sin(4 * mu) +
                      (151 * std::pow(e1, 3) / 96) * std::sin(6 * mu) +
                      (1097 * std::pow(e1, 4) / 512) * std::sin(8 * mu);
  const double c1 = ep2 * std::pow(std::cos(phi1), 2), t1 = std::pow(std::tan(phi1), 2);
  const double n1 = kSemiMajorAxis / std::sqrt(1 - e2 * std::pow(std::sin(phi1), 2));
  const double r1 = kSemiMajorAxis * (1 - e2) / std::pow(1 - e2 * std::pow(std::sin(phi1), 2), 1.5);
  const double d = x / (n1 * k0);
  const double phi =
      phi1 - (n1 * std::tan(phi1) / r1) *
                 (d * d / 2 - (5 + 3 * t1 + 10 * c1 - 4 * c1 * c1 - 9 * ep2) * std::pow(d, 4) / 24 +
                  (61 + 90 * t1 + 298 * c1 + 45 * t1 * t1 - 252 * ep2 - 3 * c1 * c1) *
                      std::pow(d, 6) / 720);
  const double lambda = kLon0 + (d - (1 + 2 * t1 + c1) * std::pow(d, 3) / 6 +
                                 (5 - 2 * c1 + 28 * t1 - 3 * c1 * c1 + 8 * ep2 + 24 * t1 * t1) *
                                     std::pow(d, 5) / 120) /
                                    std::cos(phi1);
  *lat = phi * 180.0 / M_PI;
  *lon = lambda * 180.0 / M_PI;
}

Status WaterinfoCsvParser::parseHeader(std::string_view line) {
  auto cols = splitFields(line, ';');
  columns_ = cols.size();
  bool have_date = false, have_time = false, have_value = false;
  bool have_epsg = false, have_x = false, have_y = false;
  for (size_t i = 0; i < cols.size(); ++i) {
    const std::string_view c = trimField(cols[i]);
    // Where both exports have a column, the DDL export's name comes first, the short export's
    // second. Only the DDL export has a date column named WAARNEMINGDATUM, which sets the layout.
    if (c == "WAARNEMINGDATUM") {
      layout_ = Layout::kDdl;
      date_ = i;
      have_date = true;
    } else if (c == "Datum") {
      date_ = i;
      have_date = true;
    } else if (c == "WAARNEMINGTIJD" || c == "Tijd") {
      time_ = i;
      have_time = true;
    } else if (c == "NUMERIEKEWAARDE" || c == "Meting") {
      value_ = i;
      have_value = true;
    } else if (c == "EENHEID_CODE" || c == "Eenheid") {
      unit_ = i;
    } else if (c == "MEETPUNT_IDENTIFICATIE" || c == "Locatie") {
      location_ = i;
    } else if (c == "GROOTHEID_ CODE" || c == "GROOTHEID_CODE") {
      quantity_code_ = i;
    } else if (c == "EPSG") {
      epsg_ = i;
      have_epsg = true;
    } else if (c == "X") {
      x_ = i;
      have_x = true;
    } else if (c == "Y") {
      y_ = i;
      have_y = true;
    }
  }
  have_position_ = have_epsg && have_x && have_y;
  if (!have_date || !have_time || !have_value) {
    return invalidArgument("header lacks a date, time or value column: not a waterinfo export");
  }
  return okStatus();
}

Result<ParseOutcome> WaterinfoCsvParser::parseRow(std::string_view line) {
  auto cols = splitFields(line, ';');
  if (cols.size() < columns_ - 1 || cols.size() > columns_) {
    // The short export ends every line with ';', the DDL export does not always; allow one less.
    return invalidArgument("row has " + std::to_string(cols.size()) + " columns, header has " +
                           std::to_string(columns_));
  }
  cols.resize(columns_);
  ParseOutcome out;
  if (layout_ == Layout::kDdl && trimField(cols[quantity_code_]) != "WATHTE") {
    out.rejected.push_back(
        {"GROOTHEID_CODE", "not_measured", std::string(trimField(cols[quantity_code_]))});
    return out;
  }
  const std::string_view value_text = trimField(cols[value_]);
  if (value_text.empty()) return out;  // a forecast-only row of the short export
  auto when = parseDutchDateTimeMs(cols[date_], cols[time_],
                                   layout_ == Layout::kDdl ? kDdlOffsetMinutes : kAmsterdamTime);
  if (!when.ok()) return when.status();
  double value = 0;
  if (!parseDecimal(value_text, &value)) {
    out.rejected.push_back(
        {"value", "malformed", "'" + std::string(value_text) + "' is not a number"});
    return out;
  }
  if (std::abs(value) >= 999999999) {
    out.rejected.push_back({"value", "missing", "no-value marker " + std::string(value_text)});
    return out;
  }
  gateway::v1::Reading base;
  base.set_source_id(source_id_);
  base.set_sensor_ref(std::string(trimField(cols[location_])));
  base.set_observed_unix_ms(*when);
  if (have_position_ && trimField(cols[epsg_]) == "25831") {
    double x = 0, y = 0;
    if (parseDecimal(cols[x_], &x) && parseDecimal(cols[y_], &y)) {
      double lat = 0, lon = 0;
      utm31nToLatLon(x, y, &lat, &lon);
      base.mutable_location()->set_lat(lat);
      base.mutable_location()->set_lon(lon);
    }
  }
  std::string unit(trimField(cols[unit_]));
  out.addValue(base, "value", "water_level", unit.empty() ? "cm" : unit, value);
  return out;
}

}  // namespace gw::sources
