#pragma once
// The fleet's e2e fixture: a real Mosquitto and FleetSites (tests/support/fleet_sites.h) on it.
#include <gtest/gtest.h>

#include <memory>

#include "tests/support/fleet_sites.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/temp_dir.h"

namespace gw::e2e {

using gateway::v1::PolicyStatus;
using gw::testing::ChildProcess;

class FleetFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    fleet_ = std::make_unique<gw::testing::FleetSites>(
        gw::testing::FleetSitesOptions{broker_.url(), dir_.path()});
  }
  void TearDown() override { fleet_.reset(); }

  gw::testing::TempDir dir_;
  gw::testing::MosquittoBroker broker_;
  std::unique_ptr<gw::testing::FleetSites> fleet_;
};

}  // namespace gw::e2e
