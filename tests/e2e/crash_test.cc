// Crash tests on the real binary: kill -9 during a stream of writes loses no
// acknowledged write; a torn WAL tail is cut and the member starts; a corrupt
// record in the middle of the WAL is refused, naming the file and offset.
//
// The kill moments are random; the seed is printed and CAIRN_SEED replays
// it.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "server/wal/record_format.h"
#include "tests/e2e/cluster.h"

namespace e2e {
namespace {

uint64_t Seed() {
  const char* env = std::getenv("CAIRN_SEED");
  uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10)
                                 : static_cast<uint64_t>(time(nullptr));
  std::printf("crash_test seed: %llu (CAIRN_SEED=%llu replays)\n",
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  return seed;
}

// Keys PREFIX0..PREFIX<n-1> that the writer acknowledged ("ack <i>" lines).
int AckedCount(const std::string& log) {
  std::istringstream in(log);
  std::string word;
  int i = -1, last = -1;
  while (in >> word >> i) {
    if (word == "ack" && i == last + 1) last = i;
  }
  return last + 1;
}

// Checks that keys prefix0..prefix<n-1> hold v0..v<n-1>.
void ExpectAcked(const Cluster& cluster, const std::string& prefix, int n) {
  CommandResult r = cluster.Etcdctl({"get", prefix, "--prefix"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> got;
  std::istringstream in(r.out);
  std::string k, v;
  while (std::getline(in, k) && std::getline(in, v)) got[k] = v;
  int missing = 0;
  for (int i = 0; i < n; ++i) {
    auto it = got.find(prefix + std::to_string(i));
    if (it == got.end() || it->second != "v" + std::to_string(i)) ++missing;
  }
  EXPECT_EQ(missing, 0) << "of " << n << " acknowledged writes";
}

std::string WriterCommandPath() { return CAIRN_PROTOCOL_CLIENT; }

// Rounds of: a writer streams puts, the member gets `sig` at a random
// moment, restarts, and every acknowledged put is there. With SIGTERM the
// member must also exit 0 (a clean stop that finishes in-flight requests).
void WriteAndStop(const std::vector<std::string>& flags, int sig, int rounds) {
  std::mt19937_64 rng(Seed());
  std::string error;
  auto cluster = Cluster::Start(Flavor::kCairn, 1, flags, &error);
  ASSERT_NE(cluster, nullptr) << error;
  for (int round = 0; round < rounds; ++round) {
    std::string prefix = "crash/" + std::to_string(round) + "/";
    Process writer;
    std::string log = cluster->dir() + "/writer" + std::to_string(round);
    ASSERT_TRUE(writer.Start(
        {"/usr/bin/python3", WriterCommandPath(),
         std::to_string(cluster->member(0).client_port), "writer", prefix},
        log, &error))
        << error;
    // Once the writer is streaming (python and grpc take a while to load),
    // stop the member at a random moment.
    ASSERT_TRUE(WaitFor([&] { return AckedCount(writer.ReadLog()) > 0; },
                        std::chrono::seconds(20)))
        << writer.ReadLog();
    int delay_ms = static_cast<int>(rng() % 1200);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    int status = cluster->member(0).process->Stop(sig);
    if (sig != SIGKILL) {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "status " << status << "; log:\n"
          << cluster->member(0).process->ReadLog();
    }
    // The writer stops at its first failed put.
    ASSERT_TRUE(
        WaitFor([&] { return !writer.running(); }, std::chrono::seconds(20)));
    int acked = AckedCount(writer.ReadLog());
    ASSERT_TRUE(cluster->StartMember(0, &error)) << error;
    ASSERT_TRUE(cluster->WaitHealthy(0, std::chrono::seconds(30)))
        << cluster->member(0).process->ReadLog();
    std::printf("round %d: killed after %d ms, %d acknowledged writes\n", round,
                delay_ms, acked);
    EXPECT_GT(acked, 0);
    ExpectAcked(*cluster, prefix, acked);
  }
}

TEST(CrashTest, KillNineLosesNoAcknowledgedWrite) {
  WriteAndStop({}, SIGKILL, 3);
}

// Small --snapshot-count: restarts load a snapshot and replay the WAL after
// it, and old segments/snapshots get released while writes stream.
TEST(CrashTest, KillNineWithFrequentSnapshots) {
  WriteAndStop({"--snapshot-count=100"}, SIGKILL, 2);
}

TEST(CrashTest, SigtermDuringWritesExitsZeroAndKeepsAcknowledged) {
  WriteAndStop({}, SIGTERM, 2);
}

// --- WAL surgery -----------------------------------------------------------

struct Record {
  size_t offset;
  size_t size;  // Header and payload.
  int type;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAt(const std::string& path, size_t offset, const std::string& data) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// The WAL segments of a member's data dir, oldest first.
std::vector<std::string> Segments(const std::string& data_dir) {
  std::vector<std::string> out;
  for (const auto& e :
       std::filesystem::directory_iterator(data_dir + "/member/wal")) {
    if (e.path().extension() == ".wal") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The records of a segment, as the WAL's own scanner sees them.
std::vector<Record> Records(const std::string& bytes) {
  server::wal::SegmentScan scan = server::wal::ScanSegment(bytes, true);
  std::vector<Record> out;
  for (const server::wal::ScannedRecord& r : scan.records) {
    out.push_back({static_cast<size_t>(r.offset),
                   server::wal::kRecordHeaderSize + r.payload.size(), r.type});
  }
  return out;
}

class WalSurgeryTest : public ::testing::Test {
 protected:
  // A member with `n` acknowledged writes, killed; returns its last segment.
  std::string WriteAndKill(int n) {
    std::string error;
    cluster_ = Cluster::Start(Flavor::kCairn, 1, {}, &error);
    EXPECT_NE(cluster_, nullptr) << error;
    if (cluster_ == nullptr) return "";
    for (int i = 0; i < n; ++i) {
      CommandResult r = cluster_->Etcdctl(
          {"put", "w/" + std::to_string(i), "v" + std::to_string(i)});
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    cluster_->StopMember(0, SIGKILL);
    std::vector<std::string> segments = Segments(cluster_->member(0).data_dir);
    EXPECT_FALSE(segments.empty());
    return segments.empty() ? "" : segments.back();
  }

  std::unique_ptr<Cluster> cluster_;
};

TEST_F(WalSurgeryTest, GarbageAfterLastRecordIsCut) {
  std::string segment = WriteAndKill(10);
  ASSERT_FALSE(segment.empty());
  std::vector<Record> records = Records(ReadFile(segment));
  ASSERT_GT(records.size(), 3u);
  size_t end = records.back().offset + records.back().size;
  // A frame that was being written when the power went: a plausible length,
  // a wrong crc, part of its payload.
  std::string torn("\x40\x00\x00\x00\xde\xad\xbe\xef\x01partial", 16);
  WriteAt(segment, end, torn);
  std::string error;
  ASSERT_TRUE(cluster_->StartMember(0, &error)) << error;
  ASSERT_TRUE(cluster_->WaitHealthy(0, std::chrono::seconds(30)))
      << cluster_->member(0).process->ReadLog();
  ExpectAcked(*cluster_, "w/", 10);
  // And it keeps working after the cut.
  EXPECT_EQ(cluster_->Etcdctl({"put", "w/10", "v10"}).exit_code, 0);
  cluster_->StopMember(0, SIGKILL);
  ASSERT_TRUE(cluster_->StartMember(0, &error)) << error;
  ASSERT_TRUE(cluster_->WaitHealthy(0, std::chrono::seconds(30)));
  ExpectAcked(*cluster_, "w/", 11);
}

TEST_F(WalSurgeryTest, TruncatedLastRecordIsCut) {
  std::string segment = WriteAndKill(10);
  ASSERT_FALSE(segment.empty());
  std::vector<Record> records = Records(ReadFile(segment));
  ASSERT_GT(records.size(), 3u);
  const Record& last = records.back();
  // The last record is a hard state after the entries of the last put (a
  // Ready saves entries, then the hard state): cutting it loses no entry.
  ASSERT_EQ(last.type, 2) << "last record is not a hard state";
  std::filesystem::resize_file(segment, last.offset + last.size / 2);
  std::string error;
  ASSERT_TRUE(cluster_->StartMember(0, &error)) << error;
  ASSERT_TRUE(cluster_->WaitHealthy(0, std::chrono::seconds(30)))
      << cluster_->member(0).process->ReadLog();
  ExpectAcked(*cluster_, "w/", 10);
}

TEST_F(WalSurgeryTest, CorruptMiddleRecordIsRefused) {
  std::string segment = WriteAndKill(10);
  ASSERT_FALSE(segment.empty());
  std::string bytes = ReadFile(segment);
  std::vector<Record> records = Records(bytes);
  ASSERT_GT(records.size(), 6u);
  // Flip a payload byte of an early record that many valid ones follow.
  const Record& victim = records[2];
  size_t at = victim.offset + 9 + (victim.size - 9) / 2;
  WriteAt(segment, at, std::string(1, static_cast<char>(bytes[at] ^ 0x20)));
  std::string error;
  ASSERT_TRUE(cluster_->StartMember(0, &error)) << error;
  Process& p = *cluster_->member(0).process;
  ASSERT_TRUE(WaitFor([&] { return !p.running(); }, std::chrono::seconds(20)))
      << "cairn started on a corrupt WAL";
  EXPECT_TRUE(WIFEXITED(p.exit_status())) << p.exit_status();
  EXPECT_NE(WEXITSTATUS(p.exit_status()), 0);
  std::string log = p.ReadLog();
  EXPECT_NE(log.find(segment), std::string::npos) << log;
  EXPECT_NE(log.find("offset " + std::to_string(victim.offset)),
            std::string::npos)
      << log;
  EXPECT_FALSE(CanConnect(cluster_->member(0).client_port));
}

}  // namespace
}  // namespace e2e
