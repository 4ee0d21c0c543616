#pragma once
// MultipartSpoolBody, the Beast body type of spooled multipart uploads; only plain_session.cpp and tls_session.cpp
// include it (through http_session.hpp).
#include <cstddef>
#include <cstdint>
#include <memory>

#include <boost/optional.hpp>

#include "beast_util.hpp"
#include "teledx/server/multipart_stream.hpp"

namespace teledx::server {

// A Beast body that hands the bytes to a MultipartSpooler as they arrive (routes with RouteSpec::part_file).
struct MultipartSpoolBody {
  using value_type = std::unique_ptr<MultipartSpooler>;
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) { ec = {}; }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      std::size_t n = 0;
      for (const auto b : beast::buffers_range_ref(buffers)) {
        if (!body_->feed({static_cast<const char*>(b.data()), b.size()})) {
          ec = beast::errc::make_error_code(beast::errc::invalid_argument);
          return n;
        }
        n += b.size();
      }
      ec = {};
      return n;
    }
    void finish(beast::error_code& ec) {
      ec = body_->finish() ? beast::error_code{} : beast::errc::make_error_code(beast::errc::invalid_argument);
    }

   private:
    value_type& body_;
  };
};

}  // namespace teledx::server
