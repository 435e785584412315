#pragma once
// Rijkswaterstaat waterinfo exports (waterinfo.rws.nl), water level in cm NAP:
//  - the short export: `Datum;Tijd;Parameter;Locatie;Meting;Verwachting;...;Eenheid;...`, date
//    "7-5-2020", time "00:10:00";
//  - the full DDL export (often CR-only line endings): `...;WAARNEMINGDATUM;WAARNEMINGTIJD;
//    LIMIETSYMBOOL;NUMERIEKEWAARDE;...;GROOTHEID_CODE;...;EPSG;X;Y;...` with date "07-05-2020".
//    Only measured WATHTE rows become readings; computed/astronomical rows (WATHTBRKD) are
//    skipped as `not_measured`; 999999999 and -999999999 mean "no value" (`missing`).
// The short export gives Dutch civil time (CET/CEST); the DDL export MET (UTC+01:00 all year). The
// DDL position in
// EPSG:25831 (ETRS89 / UTM 31N) is converted to WGS84 latitude/longitude.
#include <string>

#include "gateway/sources/sensor/formats/record_parser.h"

namespace gw::sources {

class WaterinfoCsvParser : public RecordParser {
 public:
  explicit WaterinfoCsvParser(std::string source_id) : source_id_(std::move(source_id)) {}
  Status parseHeader(std::string_view line) override;
  Result<ParseOutcome> parseRow(std::string_view line) override;

 private:
  enum class Layout { kShort, kDdl };
  std::string source_id_;
  Layout layout_ = Layout::kShort;
  size_t columns_ = 0;
  // Column indexes, per layout.
  size_t date_ = 0, time_ = 0, value_ = 0, unit_ = 0, location_ = 0;
  size_t quantity_code_ = 0, epsg_ = 0, x_ = 0, y_ = 0;
  bool have_position_ = false;
};

// ETRS89 / UTM zone 31N (EPSG:25831) easting/northing in metres to WGS84 degrees (the ETRS89/WGS84
// difference, under 1 m, is ignored).
void utm31nToLatLon(double easting, double northing, double* lat, double* lon);

}  // namespace gw::sources
