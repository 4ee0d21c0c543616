#include "teledx/core/audit.hpp"

#include <catch2/catch.hpp>

#include <memory>

#include <nlohmann/json.hpp>

#include "teledx/core/ids.hpp"

namespace {

using namespace teledx;

class ManualClock final : public Clock {
 public:
  std::int64_t now_ms() const override { return now_; }
  void advance(std::int64_t ms) { now_ += ms; }

 private:
  std::int64_t now_ = 1'764'000'000'000;
};

struct Log {
  ManualClock clock;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<AuditLog> audit;

  Log() {
    auto opened = db::open_sqlite(":memory:");
    REQUIRE(opened.ok());
    db = std::move(*opened);
    REQUIRE(db->migrate("audit", AuditLog::migrations()).ok());
    audit = std::make_unique<AuditLog>(*db, clock);
  }

  /// Appends n events "e1".."en", one second apart.
  void fill(int n) {
    for (int i = 1; i <= n; ++i) {
      clock.advance(1'000);
      auto e = audit->append({i % 2 ? "alice" : "bob", i % 3 ? "view" : "login",
                              "study:1.2." + std::to_string(i), "10.0.0.7", "e" + std::to_string(i)});
      REQUIRE(e.ok());
    }
  }

  AuditVerifyReport verify() {
    auto r = audit->verify();
    REQUIRE(r.ok());
    return *r;
  }
};

const std::string kZeros(64, '0');

}  // namespace

TEST_CASE("append links each entry to the hash of the one before it", "[core]") {
  Log log;
  auto first = log.audit->append({"alice", "login", "user:1", "10.0.0.7", ""});
  log.clock.advance(5);
  auto second = log.audit->append({"alice", "view", "study:1.2.3", "10.0.0.7", R"({"frames":3})"});
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->seq == 1);
  CHECK(second->seq == 2);
  CHECK(first->prev_hash == kZeros);
  CHECK(second->prev_hash == first->hash);
  CHECK(second->at_ms == log.clock.now_ms());

  const auto canonical = nlohmann::json::array(
      {2, second->at_ms, "alice", "view", "study:1.2.3", "10.0.0.7", R"({"frames":3})"});
  CHECK(second->hash == sha256_hex(first->hash + canonical.dump()));
}

TEST_CASE("an entry appended inside a failed transaction is rolled back with it", "[core]") {
  Log log;
  auto failed = log.db->write([&](db::Txn& txn) -> Result<void> {
    TELEDX_TRY(log.audit->append(txn, {"system", "store", "study:9", "", ""}));
    return make_error(ErrorCode::StorageFailure, "disk full");
  });
  CHECK_FALSE(failed.ok());
  CHECK(log.audit->list(10)->empty());
  auto next = log.audit->append({"system", "store", "study:9", "", ""});
  REQUIRE(next.ok());
  CHECK(next->seq == 1);
  CHECK(log.audit->append({"", "store", "", "", ""}).error().code == ErrorCode::BadRequest);
}

TEST_CASE("verify accepts an intact chain", "[core]") {
  Log log;
  auto empty = log.verify();
  CHECK(empty.ok());
  CHECK(empty.entries == 0);

  log.fill(5);
  REQUIRE(log.audit->append({"ae:CLINIC1", "store", "study:\xff\xfe", "10.0.0.9", "bad utf-8 \xc3"}).ok());
  auto report = log.verify();
  CHECK(report.ok());
  CHECK(report.entries == 6);
  CHECK(report.reason.empty());
}

TEST_CASE("verify detects a modified field and names its entry", "[core]") {
  Log log;
  log.fill(5);
  REQUIRE(log.db->exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").ok());
  auto report = log.verify();
  CHECK_FALSE(report.ok());
  CHECK(report.first_broken_seq == 3);
  CHECK(report.entries == 5);
  CHECK_THAT(report.reason, Catch::Contains("modified"));
}

TEST_CASE("verify detects a deleted entry in the middle of the chain", "[core]") {
  Log log;
  log.fill(5);
  REQUIRE(log.db->exec("DELETE FROM audit_log WHERE seq = 3").ok());
  auto report = log.verify();
  CHECK_FALSE(report.ok());
  CHECK(report.first_broken_seq == 4);
  CHECK_THAT(report.reason, Catch::Contains("3") && Catch::Contains("missing"));

  SECTION("renumbering to hide the gap still breaks the link") {
    REQUIRE(log.db->exec("UPDATE audit_log SET seq = seq - 1 WHERE seq > 3").ok());
    auto renumbered = log.verify();
    CHECK(renumbered.first_broken_seq == 3);
  }
}

TEST_CASE("verify detects two entries whose contents were swapped", "[core]") {
  Log log;
  log.fill(5);
  auto rows = log.db->query(
      "SELECT seq, at_ms, actor, action, target, remote, detail, prev_hash, hash FROM audit_log "
      "WHERE seq IN (2, 3) ORDER BY seq");
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  REQUIRE(log.db
              ->write([&](db::Txn& txn) -> Result<void> {
                for (int i = 0; i < 2; ++i) {
                  const db::Row& from = (*rows)[1 - i];
                  db::Params p(from.values.begin() + 1, from.values.end());
                  p.push_back((*rows)[i].values[0]);
                  TELEDX_TRY(
                      txn.exec("UPDATE audit_log SET at_ms = ?, actor = ?, action = ?, target = ?, "
                               "remote = ?, detail = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                               p));
                }
                return ok();
              })
              .ok());
  auto report = log.verify();
  CHECK_FALSE(report.ok());
  CHECK(report.first_broken_seq == 2);
  CHECK_FALSE(report.reason.empty());
}

TEST_CASE("list returns newest entries first, filtered and paged", "[core]") {
  Log log;
  log.fill(6);
  auto all = log.audit->list(100);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 6);
  CHECK(all->front().seq == 6);
  CHECK(all->back().seq == 1);
  CHECK(all->front().event.detail == "e6");

  auto page = log.audit->list(2, 5);
  REQUIRE(page->size() == 2);
  CHECK(page->at(0).seq == 4);
  CHECK(page->at(1).seq == 3);

  auto alice = log.audit->list(100, 0, "alice");
  CHECK(alice->size() == 3);
  for (const auto& e : *alice) CHECK(e.event.actor == "alice");
  auto bob_logins = log.audit->list(100, 0, "bob", "login");
  REQUIRE(bob_logins->size() == 1);
  CHECK(bob_logins->front().seq == 6);
}
