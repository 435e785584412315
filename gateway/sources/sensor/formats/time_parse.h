#pragma once
// Timestamp parsing for the sensor formats. Every result is UTC Unix milliseconds.
#include <cstdint>
#include <string_view>

#include "gateway/core/status.h"

namespace gw::sources {

// ISO 8601 as sensors and archives write it: "YYYY-MM-DDTHH:MM:SS" or with a space instead of
// 'T', optional fraction (any number of digits, kept to ms), and optional zone "Z" or "±HH:MM".
// Without a zone the time is taken as UTC.
Result<int64_t> parseIsoUtcMs(std::string_view text);

// Dutch date "D-M-YYYY" or "DD-MM-YYYY" and time "HH:MM[:SS]", local to a fixed UTC offset, or
// with kAmsterdamTime to Dutch civil time with daylight saving.
constexpr int kAmsterdamTime = 100000;
Result<int64_t> parseDutchDateTimeMs(std::string_view date, std::string_view time,
                                     int utc_offset_minutes);

// The UTC offset of Dutch civil time (Europe/Amsterdam: CET, UTC+1, and CEST, UTC+2, from the last
// Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC) for a local date and time.
// For the doubled hour in October the earlier (summer-time) reading is taken.
int amsterdamOffsetMinutes(int year, int month, int day, int hour);

// Days since 1970-01-01 for a proleptic Gregorian date (no time zone involved).
int64_t daysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace gw::sources
