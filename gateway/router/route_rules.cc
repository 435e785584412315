#include "gateway/router/route_rules.h"

namespace gw::router {

void checkRouteBatch(const pipeline::Route& route, const std::string& path, ProblemSink& check) {
  if (!route.spec->has_batch()) return;
  const uint32_t max_readings = route.spec->batch().max_readings();
  if (max_readings < 2 || max_readings > kMaxBatchReadings) {
    check.fail(path + ".batch.max_readings",
               "max_readings must be between 2 and " + std::to_string(kMaxBatchReadings));
  }
  if (route.batch && route.batch->linger > kMaxBatchLinger) {
    check.fail(path + ".batch.linger", "linger is at most 60s (readings wait that long in memory)");
  }
  if (route.spec->from().measurements_size() == 0) {
    check.fail(path + ".batch", "batch applies to measurements; this route sends none");
  }
  if (route.spec->never_batch()) {
    check.fail(path + ".never_batch", "a route with `batch` cannot also be `never_batch`");
  }
}

void checkBacklogBatching(const BacklogBatching& rule, const std::string& path,
                          ProblemSink& check) {
  if (rule.batch.max_readings < 2 || rule.batch.max_readings > kMaxBatchReadings) {
    check.fail(path + ".max_readings",
               "max_readings must be between 2 and " + std::to_string(kMaxBatchReadings));
  }
  if (rule.batch.linger > kMaxBatchLinger) {
    check.fail(path + ".linger", "linger is at most 60s (readings wait that long in memory)");
  }
  if (rule.above < 2) {
    check.fail(path + ".above", "above must be at least 2 messages (use mode: off to turn it off)");
  }
}

}  // namespace gw::router
