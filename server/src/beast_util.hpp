#pragma once
// Beast/Asio namespace aliases and the error filter the sessions share; only the server and its sessions
// (http_server.cpp, plain_session.cpp, tls_session.cpp) include it.
// First: Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility> (fails in C++20).
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace teledx::server {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// Errors of a connection's ordinary end (closed, reset, timed out, cancelled at shutdown): not worth logging.
inline bool quiet_error(const beast::error_code& ec) {
  return ec == net::error::operation_aborted || ec == beast::error::timeout || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == http::error::end_of_stream || ec == ssl::error::stream_truncated;
}

}  // namespace teledx::server
