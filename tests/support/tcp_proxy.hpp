#pragma once
// A TCP relay on a loopback port to whichever server port is current, under the test's control: restart the server
// behind it, cut every link (RST-like), or freeze them (half-open: sockets stay open, nothing passes).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace teledx::test {

/// A TCP relay on a fixed local port to whichever server port is current; it can cut every link or freeze them
/// (half-open: sockets stay open, nothing passes).
class TcpProxy {
 public:
  TcpProxy() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    REQUIRE(::listen(listen_fd_, 64) == 0);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~TcpProxy() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    cut();
    for (auto& t : relays_) t.join();
  }
  std::uint16_t port() const { return port_; }
  void target(std::uint16_t port) { target_ = port; }
  /// Drops every current link (both directions), like a pulled cable with RST.
  void cut() {
    std::lock_guard lock(mutex_);
    for (auto& l : links_)
      if (!l->closed.exchange(true)) {
        ::shutdown(l->a, SHUT_RDWR);
        ::shutdown(l->b, SHUT_RDWR);
      }
  }
  /// Current links stop passing bytes but stay open (a half-open link); new links work.
  void freeze() {
    std::lock_guard lock(mutex_);
    for (auto& l : links_) l->frozen = true;
  }
  int links_opened() const { return opened_; }

 private:
  struct Link {
    int a = -1, b = -1;
    std::atomic<bool> closed{false}, frozen{false};
  };

  void accept_loop() {
    while (!stopping_) {
      int c = ::accept(listen_fd_, nullptr, nullptr);
      if (c < 0) {
        if (stopping_) return;
        continue;
      }
      int u = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(target_);
      if (::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(u);
        ::close(c);
        continue;
      }
      auto link = std::make_shared<Link>();
      link->a = c;
      link->b = u;
      ++opened_;
      std::lock_guard lock(mutex_);
      links_.push_back(link);
      relays_.emplace_back([this, link] { relay(*link); });
    }
  }

  void relay(Link& l) {
    char buf[65536];
    while (!l.closed && !stopping_) {
      if (l.frozen) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      pollfd p[2] = {{l.a, POLLIN, 0}, {l.b, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      for (int i = 0; i < 2 && !l.frozen; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        int from = i == 0 ? l.a : l.b, to = i == 0 ? l.b : l.a;
        ssize_t n = ::recv(from, buf, sizeof buf, 0);
        if (n <= 0 || ::send(to, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) {
          l.closed = true;
          break;
        }
      }
    }
    ::shutdown(l.a, SHUT_RDWR);
    ::shutdown(l.b, SHUT_RDWR);
    ::close(l.a);
    ::close(l.b);
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::uint16_t> target_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<int> opened_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<Link>> links_;
  std::list<std::thread> relays_;
};

}  // namespace teledx::test
