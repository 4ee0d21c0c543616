// Self-signed certificate for trying HTTPS/WSS in demo mode (--seed-demo --demo-tls).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

#include "seed.hpp"

namespace teledx::server {

Result<void> ensure_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key) {
  std::error_code ec;
  if (std::filesystem::exists(cert, ec) && std::filesystem::exists(key, ec)) return {};
  std::filesystem::create_directories(cert.parent_path(), ec);
  auto fail = [](const std::string& what) {
    return make_error(ErrorCode::Internal, "Could not create the demo TLS certificate (" + what + ").");
  };
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!pkey) return fail("key generation");
  std::unique_ptr<X509, decltype(&X509_free)> x509(X509_new(), X509_free);
  X509_set_version(x509.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), static_cast<long>(std::time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 365L * 24 * 3600);
  X509_set_pubkey(x509.get(), pkey.get());
  X509_NAME* name = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("teledx demo"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x509.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x509.get(), x509.get(), nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
  if (!san) return fail("subjectAltName");
  X509_add_ext(x509.get(), san, -1);
  X509_EXTENSION_free(san);
  if (!X509_sign(x509.get(), pkey.get(), EVP_sha256())) return fail("signing");

  auto key_tmp = key.string() + ".tmp", cert_tmp = cert.string() + ".tmp";
  FILE* kf = std::fopen(key_tmp.c_str(), "wb");
  if (!kf) return fail("writing " + key.string());
  bool ok = PEM_write_PrivateKey(kf, pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(kf);
  std::filesystem::permissions(key_tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  FILE* cf = std::fopen(cert_tmp.c_str(), "wb");
  if (!cf) return fail("writing " + cert.string());
  ok = ok && PEM_write_X509(cf, x509.get()) == 1;
  std::fclose(cf);
  if (!ok) return fail("PEM output");
  std::filesystem::rename(key_tmp, key, ec);
  if (!ec) std::filesystem::rename(cert_tmp, cert, ec);
  if (ec) return fail(ec.message());
  return {};
}

}  // namespace teledx::server
