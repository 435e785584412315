// Retention under a fake clock: records are readable until their route's retention ends and
// gone, key and data, from then on; a copy of the data made earlier is useless afterwards.
#include "gateway/retention/retention_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace gw::retention {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kStart = 1'700'000'000'000 - (1'700'000'000'000 % kHour);  // an hour boundary

class RetentionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RetentionOptions options;
    options.dir = dir_.path();
    options.now_ms = [this] { return now_; };
    auto opened = RetentionStore::open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
  }
  int64_t now_ = kStart;
  gw::testing::TempDir dir_;
  std::unique_ptr<RetentionStore> store_;
};

TEST_F(RetentionStoreTest, DefaultAndPoliceRetentionPurgeExactlyOnTime) {
  const int64_t k72h = 72 * kHour, k28d = 28 * 24 * kHour;
  now_ = kStart + 10 * 60'000;  // 00:10 into the hour
  ASSERT_TRUE(store_->put("ambulance-falls", k72h, "fall at 00:10").ok());
  ASSERT_TRUE(store_->put("police-footage", k28d, "footage at 00:10").ok());
  now_ = kStart + 50 * 60'000;
  ASSERT_TRUE(store_->put("ambulance-falls", k72h, "fall at 00:50").ok());
  EXPECT_EQ(store_->periods().size(), 2u);

  // Nothing is kept in the clear on disk.
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(bytes.find("fall at"), std::string::npos) << f.path();
  }

  // One millisecond before the period's start + 72 h everything is still there.
  now_ = kStart + k72h - 1;
  ASSERT_EQ(*store_->purgeExpired(), 0u);
  EXPECT_EQ(store_->read("ambulance-falls")->size(), 2u);
  now_ = kStart + k72h;
  ASSERT_EQ(*store_->purgeExpired(), 1u);
  EXPECT_TRUE(store_->read("ambulance-falls")->empty());
  EXPECT_EQ(store_->read("police-footage")->size(), 1u) << "28 days, not 72 hours";
  // No record outlived its retention: the last one was 71 h 10 min old when destroyed.
  now_ = kStart + k28d - 1;
  ASSERT_EQ(*store_->purgeExpired(), 0u);
  now_ = kStart + k28d;
  ASSERT_EQ(*store_->purgeExpired(), 1u);
  EXPECT_TRUE(store_->periods().empty());
}

TEST_F(RetentionStoreTest, ACopyOfTheDataIsUnreadableOnceTheKeyIsDestroyed) {
  ASSERT_TRUE(store_->put("police-footage", kHour, "plate AB-12-CD").ok());
  const auto periods = store_->periods();
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_TRUE(periods[0].key_present);
  EXPECT_EQ(periods[0].records, 1u);
  std::filesystem::path data;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir_.path() / "data")) {
    if (f.is_regular_file()) data = f.path();
  }
  gw::testing::TempDir backup;
  std::filesystem::copy_file(data, backup / "copy.rec");

  now_ = kStart + kHour;
  ASSERT_EQ(*store_->purgeExpired(), 1u);
  EXPECT_FALSE(std::filesystem::exists(data));
  // The backup is put back: without its key it reads as nothing.
  std::filesystem::create_directories(data.parent_path());
  std::filesystem::copy_file(backup / "copy.rec", data);
  auto read = store_->read("police-footage");
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
  const auto after = store_->periods();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_FALSE(after[0].key_present);
}

TEST_F(RetentionStoreTest, ATamperedRecordIsReportedNotReturned) {
  ASSERT_TRUE(store_->put("r", kHour, "event").ok());
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir_.path() / "data")) {
    if (!f.is_regular_file()) continue;
    std::fstream io(f.path(), std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(-1, std::ios::end);
    io.put('\x55');
  }
  auto read = store_->read("r");
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("does not authenticate"), std::string::npos);
}

TEST_F(RetentionStoreTest, RouteIdsCannotEscapeTheStore) {
  ASSERT_TRUE(store_->put("../../etc", kHour, "x").ok());
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir_.path())) {
    EXPECT_EQ(f.path().string().rfind(dir_.path().string(), 0), 0u);
  }
  EXPECT_EQ(fileSafe("../a"), "%2E%2E%2Fa");
}

}  // namespace
}  // namespace gw::retention
