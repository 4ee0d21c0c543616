// Real-time delivery benchmark (issue 5). Starts a real teledx server on 127.0.0.1, holds --clinic-conns idle
// clinic websockets (default 5,000) and --reader-conns specialist websockets (default 200), all subscribed, then
// produces events through the HTTP API one at a time:
//   (a) an upload completed by CLINIC1           -> "task.created" at every imaging-center reader socket
//   (b) a reader signs the report of that task    -> "report.signed" at every CLINIC1 socket
// and prints p50/p99/max latency from the commit stamp (the event's "at") and from the request, the server's RSS
// per idle connection, its CPU while idle, and lost/duplicate counts, each against the targets.
//   event_stream_bench [--clinic-conns N] [--reader-conns N] [--measured-clinic N] [--events N]
//                      [--teledx PATH] [--dir DIR] [--keep] [-- extra server args...]
// The idle clinic sockets belong to CLINIC2/CLINIC3 users (the demo has three clinics), so the registry walks all
// of them on every event while only CLINIC1's sockets (--measured-clinic, default 50) receive the results.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without including it
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "event_stream_bench_support.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using json = nlohmann::json;
using tcp = net::ip::tcp;
using Steady = std::chrono::steady_clock;

using namespace teledx::bench;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "event_stream_bench: %s\n", what.c_str());
  std::exit(2);
}

double wall_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// "2026-11-29T01:20:00.123Z" -> ms since the epoch (the server stamps events in UTC with ms).
double iso_ms(const std::string& s) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) != 7)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) * 1000.0 + ms;
}

// ---- the websocket clients ----------------------------------------------------------------------------------
enum class Kind { Reader, Clinic1, IdleClinic };

struct Received {
  std::size_t conn;
  std::string event;
  std::int64_t task_id, seq;
  double at_ms, recv_ms;
  Steady::time_point recv;
};

struct Shared {
  std::mutex mutex;  // guards log
  std::vector<Received> log;
  std::atomic<int> ready{0}, failed{0}, created{0}, signed_{0}, stray{0};
};

struct Conn : std::enable_shared_from_this<Conn> {
  Conn(net::io_context& ioc, Shared& sh, std::size_t idx, Kind k, std::string token, std::uint16_t port)
      : ws(net::make_strand(ioc)), shared(sh), index(idx), kind(k), token(std::move(token)), port(port) {}
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buf;
  Shared& shared;
  std::size_t index;
  Kind kind;
  std::string token;
  std::uint16_t port;
  std::int64_t last_seq = 0;
  int duplicates = 0;  // a seq not above the previous one: duplicate or out of order
  std::vector<std::int64_t> seqs;
  std::function<void()> on_done;  // called once the stream is live or failed (paces the connect rate)

  void start() {
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(60));
    beast::get_lowest_layer(ws).async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                                              [self = shared_from_this()](beast::error_code ec) {
                                                if (ec) return self->fail();
                                                self->handshake();
                                              });
  }
  void handshake() {
    ws.set_option(websocket::stream_base::decorator([t = token](websocket::request_type& r) {
      r.set(http::field::authorization, "Bearer " + t);
    }));
    ws.async_handshake("127.0.0.1", "/ws", [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail();
      beast::get_lowest_layer(self->ws).expires_never();
      self->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
      self->read();
    });
  }
  void fail() {
    shared.failed++;
    if (on_done) std::exchange(on_done, nullptr)();
  }
  void read() {
    ws.async_read(buf, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        if (self->on_done) self->fail();
        return;
      }
      const double now_ms = wall_ms();
      const auto now = Steady::now();
      const std::string text = beast::buffers_to_string(self->buf.data());
      self->buf.consume(self->buf.size());
      // One client thread reads every socket: parsing each signed report whole would queue the next sockets'
      // receipts behind it and inflate the latency measured. Events take the scan; the rest is parsed.
      if (!self->fast_event(text, now_ms, now)) self->handle(json::parse(text, nullptr, false), now_ms, now);
      self->read();
    });
  }
  void send(std::string text) {
    // Only the hello answer is ever sent, before any other write: no write queue needed.
    auto p = std::make_shared<std::string>(std::move(text));
    ws.async_write(net::buffer(*p), [p, self = shared_from_this()](beast::error_code, std::size_t) {});
  }
  // The event's top-level fields without parsing the report it carries. The server writes keys sorted, so
  // "event", "seq", "task_id" and "type" come after "data" (found from the end) and "at" first. False when the
  // text does not look like that (then it is parsed).
  bool fast_event(const std::string& t, double now_ms, Steady::time_point now) {
    auto str = [&](const char* key, bool from_end) -> std::optional<std::string> {
      const std::string k = std::string("\"") + key + "\":\"";
      const auto p = from_end ? t.rfind(k) : t.find(k);
      if (p == std::string::npos) return std::nullopt;
      const auto e = t.find('"', p + k.size());
      if (e == std::string::npos) return std::nullopt;
      return t.substr(p + k.size(), e - p - k.size());
    };
    auto num = [&](const char* key) -> std::optional<std::int64_t> {
      const std::string k = std::string("\"") + key + "\":";
      const auto p = t.rfind(k);
      if (p == std::string::npos) return std::nullopt;
      return std::strtoll(t.c_str() + p + k.size(), nullptr, 10);
    };
    const auto type = str("type", true);
    if (!type || *type != "event") return false;
    const auto ev = str("event", true);
    const auto at = str("at", false);
    const auto seq = num("seq"), task = num("task_id");
    if (!ev || !at || !seq || !task) return false;
    record(*ev, *seq, *task, iso_ms(*at), now_ms, now);
    return true;
  }
  void record(const std::string& ev, std::int64_t seq, std::int64_t task, double at_ms, double now_ms,
              Steady::time_point now) {
    if (seq <= last_seq) ++duplicates;
    last_seq = std::max(last_seq, seq);
    seqs.push_back(seq);
    if (kind == Kind::IdleClinic) shared.stray++;
    if ((ev == "task.created" && kind == Kind::Reader) || (ev == "report.signed" && kind == Kind::Clinic1)) {
      {
        std::lock_guard lock(shared.mutex);
        shared.log.push_back({index, ev, task, seq, at_ms, now_ms, now});
      }
      (ev == "task.created" ? shared.created : shared.signed_)++;
    }
  }
  void handle(const json& m, double now_ms, Steady::time_point now) {
    const std::string type = m.value("type", "");
    if (type == "hello") {
      send(json{{"type", "subscribe"}, {"since", m.value("head", std::int64_t{0})}}.dump());
    } else if (type == "synced" && on_done) {
      shared.ready++;
      std::exchange(on_done, nullptr)();
    } else if (type == "event") {
      record(m.value("event", ""), m.value("seq", std::int64_t{0}), m.value("task_id", std::int64_t{0}),
             iso_ms(m.value("at", "")), now_ms, now);
    } else if (type == "error" || type == "reset") {
      std::fprintf(stderr, "connection %zu: %s\n", index, m.dump().c_str());
    }
  }
};

struct Stats {
  double p50 = 0, p99 = 0, max = 0;
  std::size_t n = 0;
};
Stats stats(std::vector<double> v) {
  Stats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * (v.size() - 1) + 0.5))]; };
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  s.max = v.back();
  return s;
}

bool wait_for(const std::atomic<int>& counter, int want, int timeout_ms) {
  const auto end = Steady::now() + std::chrono::milliseconds(timeout_ms);
  while (counter.load() < want) {
    if (Steady::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int clinic_conns = 5000, reader_conns = 200, measured_clinic = 50, events = 100;
  std::string teledx = TELEDX_SERVER_BINARY;
  fs::path dir;
  bool keep = false;
  std::vector<std::string> extra;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--clinic-conns") clinic_conns = std::stoi(next());
    else if (a == "--reader-conns") reader_conns = std::stoi(next());
    else if (a == "--measured-clinic") measured_clinic = std::stoi(next());
    else if (a == "--events") events = std::stoi(next());
    else if (a == "--teledx") teledx = next();
    else if (a == "--dir") dir = next();
    else if (a == "--keep") keep = true;
    else if (a == "--") { extra.assign(argv + i + 1, argv + argc); break; }
    else die("unknown argument " + a + " (see the comment at the top of bench/event_stream_bench.cpp)");
  }
  if (clinic_conns < measured_clinic || reader_conns < 1 || measured_clinic < 1 || events < 1)
    die("need --reader-conns >= 1, 1 <= --measured-clinic <= --clinic-conns, --events >= 1");
  const int total = clinic_conns + reader_conns;

  // Every socket is a descriptor on both ends (client and server inherit this limit): bounded by the hard limit.
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < static_cast<rlim_t>(total) + 200)
    die("the open-file limit (" + std::to_string(rl.rlim_cur) + ") is too low for " + std::to_string(total) +
        " connections; raise ulimit -Hn");

  if (dir.empty()) dir = fs::temp_directory_path() / ("teledx-ws-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::uint16_t port = free_port(), dicom_port = free_port();
  std::vector<std::string> args{teledx, "--data-dir", (dir / "data").string(), "--http-address", "127.0.0.1",
                                "--http-port", std::to_string(port), "--dicom-port", std::to_string(dicom_port),
                                "--seed-demo"};
  args.insert(args.end(), extra.begin(), extra.end());
  const pid_t server = fork();
  if (server == 0) {
    int fd = ::open((dir / "server.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> av;
    for (auto& s : args) av.push_back(s.data());
    av.push_back(nullptr);
    execv(av[0], av.data());
    _exit(127);
  }
  auto stop_server = [&] {
    kill(server, SIGTERM);
    int st = 0;
    waitpid(server, &st, 0);
  };
  for (int i = 0;; ++i) {
    if (call(port, http::verb::get, "/healthz", "", "").status == 200) break;
    if (i > 600 || waitpid(server, nullptr, WNOHANG) == server) die("teledx did not start; see " + (dir / "server.log").string());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::printf("teledx pid %d on 127.0.0.1:%u, data in %s\n", server, port, dir.c_str());

  std::map<std::string, std::string> tokens;
  for (const char* u : {"clinic1-tech", "clinic1-doctor", "clinic2-tech", "clinic2-doctor", "clinic3-tech",
                        "clinic3-doctor", "img-reader1", "img-reader2", "img-senior", "img-lead"}) {
    auto r = must(call(port, http::verb::post, "/api/login", json{{"username", u}, {"password", "teledx-demo"}}.dump(), ""),
                  200, std::string("login ") + u);
    tokens[u] = r.j()["token"];
  }
  const std::vector<std::string> readers{"img-reader1", "img-reader2", "img-senior", "img-lead"};
  const std::vector<std::string> clinic1{"clinic1-tech", "clinic1-doctor"};
  const std::vector<std::string> idle{"clinic2-tech", "clinic2-doctor", "clinic3-tech", "clinic3-doctor"};

  // "Before": the server started, demo seeded, users signed in, no websocket open yet.
  Shared sh;
  net::io_context ioc;
  auto work = net::make_work_guard(ioc);
  std::thread io([&] { ioc.run(); });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const long rss_before = rss_kib(server);

  // Connect, paced: at most 128 handshakes in flight, the next one starts when one is live.
  std::vector<std::shared_ptr<Conn>> conns;
  for (int i = 0; i < total; ++i) {
    Kind k = i < reader_conns ? Kind::Reader : i < reader_conns + measured_clinic ? Kind::Clinic1 : Kind::IdleClinic;
    const auto& users = k == Kind::Reader ? readers : k == Kind::Clinic1 ? clinic1 : idle;
    conns.push_back(std::make_shared<Conn>(ioc, sh, i, k, tokens[users[i % users.size()]], port));
  }
  const auto t_connect = Steady::now();
  std::atomic<std::size_t> next{0};
  std::function<void()> launch = [&] {
    const std::size_t i = next++;
    if (i >= conns.size()) return;
    conns[i]->on_done = [&] { net::post(ioc, launch); };
    conns[i]->start();
  };
  for (int i = 0; i < 128; ++i) net::post(ioc, launch);
  while (sh.ready + sh.failed < total) {
    if (Steady::now() - t_connect > std::chrono::seconds(300)) die("connections did not come up within 300 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double connect_s = std::chrono::duration<double>(Steady::now() - t_connect).count();
  std::printf("%d connections live (%d failed) in %.1f s\n", sh.ready.load(), sh.failed.load(), connect_s);
  if (sh.failed > 0) die("some connections failed; see " + (dir / "server.log").string());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const long rss_after = rss_kib(server);
  // Idle cost: the server's CPU with every socket open and nothing happening.
  const double cpu0 = cpu_seconds(server);
  std::this_thread::sleep_for(std::chrono::seconds(10));
  const double idle_cpu = (cpu_seconds(server) - cpu0) / 10.0 * 100.0;

  // Events, one at a time; each round waits until every measured socket has it (or 10 s: counted as lost).
  std::vector<double> req_created, req_signed;  // request start -> receipt, per socket
  const std::string clinic_tok = tokens["clinic1-tech"], reader_tok = tokens["img-reader1"];
  const auto t_events = Steady::now();
  const double cpu_ev0 = cpu_seconds(server);
  int timeouts = 0;
  for (int i = 0; i < events; ++i) {
    const std::string study = "1.2.826.0.1.3680043.10.5005." + std::to_string(getpid()) + "." + std::to_string(i + 1);
    auto up = must(call(port, http::verb::post, "/api/uploads", "{}", clinic_tok), 201, "create upload").j();
    const std::string uid = up["upload_id"];
    must(call(port, http::verb::post, "/api/uploads/" + uid + "/files?name=im1.dcm", make_dicom(dir, study, i),
              clinic_tok, "application/dicom"),
         200, "upload file");
    const int want_created = (i + 1) * reader_conns;
    const auto t0 = Steady::now();
    must(call(port, http::verb::post, "/api/uploads/" + uid + "/complete", "{}", clinic_tok), 200, "complete");
    if (!wait_for(sh.created, want_created, 10000)) ++timeouts;
    std::int64_t task = 0;
    {
      std::lock_guard lock(sh.mutex);
      for (const auto& r : sh.log)
        if (r.event == "task.created" && r.recv >= t0) {
          req_created.push_back(std::chrono::duration<double, std::milli>(r.recv - t0).count());
          task = r.task_id;
        }
    }
    if (task == 0) die("no task.created event for study " + study);
    const std::string base = "/api/tasks/" + std::to_string(task);
    must(call(port, http::verb::post, base + "/claim", "{}", reader_tok), 200, "claim");
    must(call(port, http::verb::put, base + "/report/draft",
              json{{"base_version", 0}, {"findings", "未见异常 bench"}, {"impression", "正常"}}.dump(), reader_tok),
         200, "draft");
    const int want_signed = (i + 1) * measured_clinic;
    const auto t1 = Steady::now();
    must(call(port, http::verb::post, base + "/report/sign", "{}", reader_tok), 200, "sign");
    if (!wait_for(sh.signed_, want_signed, 10000)) ++timeouts;
    {
      std::lock_guard lock(sh.mutex);
      for (const auto& r : sh.log)
        if (r.event == "report.signed" && r.recv >= t1)
          req_signed.push_back(std::chrono::duration<double, std::milli>(r.recv - t1).count());
    }
    // A random gap so events do not line up with any fixed phase of the server's loop.
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + (i * 37) % 45));
  }
  const double events_s = std::chrono::duration<double>(Steady::now() - t_events).count();
  const double events_cpu = (cpu_seconds(server) - cpu_ev0) / events_s * 100.0;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // late duplicates would arrive here

  std::vector<double> commit_created, commit_signed;
  {
    std::lock_guard lock(sh.mutex);
    for (const auto& r : sh.log) (r.event == "task.created" ? commit_created : commit_signed).push_back(r.recv_ms - r.at_ms);
  }
  // Lost/duplicate: every reader socket must hold the same seq list as every other, likewise CLINIC1's, with
  // exactly one task.created (readers) or report.signed (clinic) per round; idle clinics must get nothing.
  long duplicates = 0, lost = 0;
  std::vector<std::int64_t> ref_reader, ref_clinic;
  std::promise<void> snap;
  net::post(ioc, [&] {
    for (auto& c : conns) {
      duplicates += c->duplicates;
      if (c->kind == Kind::IdleClinic) continue;
      auto& ref = c->kind == Kind::Reader ? ref_reader : ref_clinic;
      if (ref.empty()) ref = c->seqs;
      if (c->seqs != ref) ++lost;
    }
    snap.set_value();
  });
  snap.get_future().wait();
  const long expected = static_cast<long>(events) * (reader_conns + measured_clinic);
  const long got = static_cast<long>(commit_created.size() + commit_signed.size());
  lost += std::max(0L, expected - got);

  auto a = stats(commit_created), b = stats(commit_signed), ra = stats(req_created), rb = stats(req_signed);
  const double per_conn = static_cast<double>(rss_after - rss_before) / total;
  std::printf("\n== teledx event streams: %d clinic (%d of them CLINIC1) + %d specialist websockets, %d events of each kind ==\n",
              clinic_conns, measured_clinic, reader_conns, events);
  std::printf("(a) exam complete -> task.created at %d reader sockets (%zu receipts)\n", reader_conns, a.n);
  std::printf("    from commit stamp: p50 %.1f ms  p99 %.1f ms  max %.1f ms   (target p99 < 50 ms: %.2fx of target)\n",
              a.p50, a.p99, a.max, a.p99 / 50.0);
  std::printf("    from the request:  p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", ra.p50, ra.p99, ra.max);
  std::printf("(b) report signed -> report.signed at %d CLINIC1 sockets (%zu receipts)\n", measured_clinic, b.n);
  std::printf("    from commit stamp: p50 %.1f ms  p99 %.1f ms  max %.1f ms   (target p99 < 50 ms: %.2fx of target)\n",
              b.p50, b.p99, b.max, b.p99 / 50.0);
  std::printf("    from the request:  p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", rb.p50, rb.p99, rb.max);
  std::printf("memory: server RSS %ld KiB before, %ld KiB with %d sockets: %.1f KiB per idle connection "
              "(target < 64 KiB: %.2fx of target)\n",
              rss_before, rss_after, total, per_conn, per_conn / 64.0);
  std::printf("server CPU: %.1f %% of one core idle with all sockets open; %.1f %% while producing events\n",
              idle_cpu, events_cpu);
  std::printf("events: %ld expected receipts, %ld received; lost %ld, duplicated/out of order %ld, "
              "stray to other clinics %d, rounds timed out %d\n",
              expected, got, lost, duplicates, sh.stray.load(), timeouts);
  const bool pass = a.p99 < 50 && b.p99 < 50 && per_conn < 64 && lost == 0 && duplicates == 0 && sh.stray == 0;
  std::printf("verdict: %s\n", pass ? "all targets met" : "TARGET MISSED");

  for (auto& c : conns) net::post(c->ws.get_executor(), [c] { beast::get_lowest_layer(c->ws).close(); });
  work.reset();
  ioc.stop();
  io.join();
  stop_server();
  if (!keep) fs::remove_all(dir);
  return pass ? 0 : 1;
}
