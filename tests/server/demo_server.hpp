#pragma once
// One real teledx process with the demo consortium, shared by the tests of a binary (start-up and argon2
// logins cost seconds), plus cached bearer tokens per demo user.
#include <map>
#include <memory>
#include <string>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace teledx::test {

class DemoServer {
 public:
  static DemoServer& instance();
  HttpClient client() const { return HttpClient(server_->http_port()); }
  ServerProcess& process() { return *server_; }
  /// Bearer token of a demo user (logged in once).
  const std::string& token(const std::string& user);
  /// Numeric id of a demo user or institution code, looked up as admin.
  std::int64_t user_id(const std::string& username);
  std::int64_t institution_id(const std::string& code);

 private:
  DemoServer();
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<ServerProcess> server_;
  std::map<std::string, std::string> tokens_;
};

}  // namespace teledx::test
