#pragma once
#include <cstddef>
#include <memory>
#include <string>

#include "teledx/core/consortium.hpp"

namespace teledx::server {

/// One open websocket, as feature code sees it. Thread-safe; implemented next to Beast in server/src/ws_session.hpp.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  /// Queues a text message. When the client falls more than the queue limit behind, the connection is
  /// closed with reason "resync" instead: a slow client never slows anyone else and reconnects from its cursor.
  virtual void send(std::string text) = 0;
  /// Messages queued and not yet written to the socket (the event streams pace their replay by it).
  virtual std::size_t queued() const = 0;
  /// Closes with a normal close frame and a reason.
  virtual void close(const std::string& reason) = 0;
  /// The authenticated user of the connection (checked at the upgrade).
  virtual const Principal& principal() const = 0;
  /// The request target of the upgrade (path and query), e.g. "/ws?since=42".
  virtual const std::string& target() const = 0;
  virtual const std::string& remote() const = 0;
};

/// Feature code behind a websocket route. Callbacks run on the worker pool, one at a time per connection,
/// in the order the messages arrived.
class WsEndpoint {
 public:
  virtual ~WsEndpoint() = default;
  virtual void on_open(const std::shared_ptr<WsConnection>& c) = 0;
  virtual void on_message(const std::shared_ptr<WsConnection>& c, const std::string& text) = 0;
  virtual void on_close(const std::shared_ptr<WsConnection>& c) = 0;
};

}  // namespace teledx::server
