#pragma once
// A certificate authority made for one test run with the openssl CLI (OPENSSL_BIN), and the server
// certificates the TLS tests need:
//   server       signed by the CA, for IP:127.0.0.1 and DNS:localhost   -> verifies
//   wrong_host   signed by the CA, for DNS:wrong.example only           -> fails the host-name check
//   self_signed  for 127.0.0.1 and localhost, signed by its own key     -> fails the chain check
// EC P-256 keys, so that making them takes milliseconds. Nothing is read from the system's openssl.cnf:
// every extension comes from a config file written here, so the certificates are the same everywhere.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "run_command.hpp"
#include "temp_dir.hpp"

namespace http_test {

/// A key pair and its certificate, as PEM files.
struct cert_files {
  std::filesystem::path cert, key;
};

class test_ca {
public:
  /// Generates everything into `dir` (which must exist). Throws std::runtime_error with openssl's
  /// output when a step fails.
  explicit test_ca(const std::filesystem::path& dir) : dir_(dir) {
    write_file(dir / "openssl.cnf", config);
    ca_ = {dir / "ca.crt", dir / "ca.key"};
    openssl({"req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             ca_.key.string(), "-out", ca_.cert.string(), "-days", "3", "-subj", "/CN=libactor test CA", "-config",
             config_path(), "-extensions", "ca_ext"});
    server_ = signed_cert("server", "localhost", "server_ext", 1);
    wrong_host_ = signed_cert("wrong-host", "wrong.example", "wrong_host_ext", 2);
    self_signed_ = {dir / "self-signed.crt", dir / "self-signed.key"};
    openssl({"req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             self_signed_.key.string(), "-out", self_signed_.cert.string(), "-days", "3", "-subj", "/CN=localhost",
             "-config", config_path(), "-extensions", "server_ext"});
  }

  /// The CA's certificate: the file to give session_options::ca_file.
  const std::filesystem::path& ca_file() const noexcept { return ca_.cert; }
  const cert_files& server() const noexcept { return server_; }
  const cert_files& wrong_host() const noexcept { return wrong_host_; }
  const cert_files& self_signed() const noexcept { return self_signed_; }

private:
  // One config for every step: req needs a distinguished_name section even with -subj.
  static constexpr const char* config = R"(
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = IP:127.0.0.1, DNS:localhost
[wrong_host_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example
)";

  std::string config_path() const { return (dir_ / "openssl.cnf").string(); }

  // A key and a certificate request for `cn`, signed by the CA with the extensions of `section`.
  cert_files signed_cert(const std::string& name, const std::string& cn, const std::string& section, int serial) {
    cert_files files{dir_ / (name + ".crt"), dir_ / (name + ".key")};
    auto csr = (dir_ / (name + ".csr")).string();
    openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             files.key.string(), "-out", csr, "-subj", "/CN=" + cn, "-config", config_path()});
    openssl({"x509", "-req", "-in", csr, "-CA", ca_.cert.string(), "-CAkey", ca_.key.string(), "-set_serial",
             std::to_string(serial), "-days", "3", "-extfile", config_path(), "-extensions", section, "-out",
             files.cert.string()});
    return files;
  }

  static void openssl(std::vector<std::string> args) {
    args.insert(args.begin(), OPENSSL_BIN);
    auto result = run_command(args);
    if (result.exit_code != 0)
      throw std::runtime_error("making the test CA failed: " + command_line(args) + "\n" + result.describe());
  }

  std::filesystem::path dir_;
  cert_files ca_, server_, wrong_host_, self_signed_;
};

} // namespace http_test
