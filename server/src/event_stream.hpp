#pragma once
// Real-time event streams. One registry thread follows the durable outbox (the worklist module appends to it in
// the same transaction as every change) and feeds each subscribed websocket the events its user may see, in
// sequence order: first the ones after the client's cursor (paged, paced by the connection's send queue), then
// live ones, with no gap and no duplicate. Protocol: docs/events.md.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "teledx/server/services.hpp"
#include "teledx/server/websocket.hpp"

namespace teledx::server {

/// Who an outbox event is for, seen from one user: nobody, the reading center's staff, or the clinic that
/// sent the exam (which sees state changes, signed reports and critical values, without reader-internal detail).
enum class Audience { None, Staff, Clinic };
Audience audience_of(Role role, std::int64_t institution_id, const worklist::OutboxEvent& e);

struct StreamOptions {
  int poll_ms = 10;                 // how often the outbox is read without a commit in this process (others' commits)
  std::size_t ring_capacity = 4096; // recent events kept rendered in memory for catch-up
  std::int64_t replay_page = 200;   // events read per catch-up step of one connection
  std::size_t replay_watermark = 64;  // a catching-up connection gets the next page only below this queue depth
  int auth_refresh_ms = 5000;       // how often subscribers' accounts are re-checked (deactivation, moves)
};

class EventHub {
 public:
  explicit EventHub(Services& s, StreamOptions o = {});
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  /// Reads the outbox head and starts the registry thread. StorageFailure when the index cannot be read.
  Result<void> start();
  /// Stops the thread and closes every subscribed connection with reason "server_stopping" (they resume
  /// from their cursor elsewhere or later). Idempotent.
  void stop();

  Services& services() const { return s_; }
  /// The highest sequence number the registry has read from the outbox.
  std::int64_t head() const { return head_.load(); }
  /// The current outbox head, read from the index (fresh, not the registry's view).
  Result<std::int64_t> read_head() const;

  /// Starts (or restarts) the connection's stream after `since`: replay, then live. The caller has checked
  /// since against the head. Events before the call are never sent twice on a restart: the new stream
  /// replaces the old one.
  void subscribe(const std::shared_ptr<WsConnection>& c, std::int64_t since);
  void unsubscribe(const WsConnection* c);
  /// The sequence number up to which the connection has been served (sent or filtered out), if subscribed.
  std::optional<std::int64_t> served(const WsConnection* c) const;

 private:
  struct Entry;
  struct Subscriber;

  void run();
  /// Reads new outbox rows into the ring; true when the head moved.
  bool poll_outbox();
  bool serve(Subscriber& sub);
  /// The institutions (centers and clinics) the events after `after` concern; nullopt when the ring does not
  /// hold all of them.
  std::optional<std::vector<std::int64_t>> touched_since(std::int64_t after) const;
  /// A live subscriber none of the new events concern: moves its cursor without building anything. False when
  /// it must be served normally.
  bool skip_unconcerned(Subscriber& sub, std::int64_t prev_head, const std::vector<std::int64_t>& touched);
  void send_events(Subscriber& sub, WsConnection& conn, const std::vector<std::shared_ptr<Entry>>& events);
  const std::string& text_for(Entry& e, Audience a);
  std::vector<std::shared_ptr<Entry>> from_ring(std::int64_t after, std::int64_t limit) const;
  void refresh_accounts();
  void unsubscribe_expired(const Subscriber& sub);

  Services& s_;
  StreamOptions opt_;
  std::atomic<std::int64_t> head_{0};
  std::deque<std::shared_ptr<Entry>> ring_;  // registry thread only
  std::int64_t ring_floor_ = 0;              // the ring holds every event after this seq (registry thread only)

  mutable std::mutex mutex_;  // guards the fields below
  std::condition_variable cv_;
  std::unordered_map<const WsConnection*, std::shared_ptr<Subscriber>> subs_;
  bool stopping_ = false;
  bool wake_ = false;
  bool committed_ = false;  // the index committed since the registry last looked
  std::thread thread_;
};

}  // namespace teledx::server
