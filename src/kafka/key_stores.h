// Java key stores (JKS, JCEKS, PKCS12 trust stores) → the PEM settings the pure translation
// (kafka/client_config.h) understands. The only impure step of the client settings: it reads the
// files named by ssl.truststore.location / ssl.keystore.location (docs: spec/auth.md §4–5).
//
// * ssl.truststore.type JKS (Java's default), JCEKS or PKCS12 → ssl.truststore.type=PEM and
//   ssl.truststore.certificates = every certificate of the store; location and password removed.
// * ssl.keystore.type JKS (Java's default) or JCEKS → ssl.keystore.type=PEM with
//   ssl.keystore.key (PKCS#8, in memory only) and ssl.keystore.certificate.chain (leaf first);
//   location, store password and ssl.key.password removed. The key entry is decrypted with
//   ssl.key.password, else the store password (as Java's KeyManager does).
// * PKCS12 key stores whose chain has one certificate, and PEM stores, are left as they are
//   (librdkafka reads them itself).
// * A key whose certificate chain has more than one certificate (a client certificate signed
//   by an intermediate CA; from JKS, JCEKS, PKCS12, or in-memory PEM) goes to a private file
//   instead: librdkafka 2.0.2 sends only the first certificate of ssl.certificate.pem (and of a
//   PKCS12 ssl.keystore.location), so a broker that trusts only the root CA would refuse it.
//   The file (key, then the chain leaf first) is made with mkstemp in $TMPDIR (or /tmp), mode
//   0600, and unlinked at once; ssl.keystore.type=PEM and ssl.keystore.location name it as
//   /proc/self/fd/N (readable by this process only, while the descriptor is open), which the
//   translation turns into ssl.key.location + ssl.certificate.location: librdkafka reads the
//   whole chain from there. Nothing is left on disk, even after a crash. One descriptor per
//   distinct key and chain, shared by every client built from it, closed at exit.
// * A PEM client certificate (after conversion, or as given) that has expired or is not yet
//   valid is an error naming the key and the date (the broker would only say "certificate
//   unknown").
//
// Errors name the Java key, the file and the cause, never a password or key material.
#pragma once

#include "util/properties.h"
#include "util/result.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace kmirror::kafka {

// Rewrites `java` in place; no-op when it names no JKS/JCEKS/PKCS12 store and no PEM chain of
// more than one certificate.
Status resolve_key_stores(Properties& java);

// The private chain file described above, for `pem` (a key and its chain). The same content
// gives the same path for the life of the process. Exposed for tests.
Result<std::string> private_pem_file(const std::string& pem);

// Number of "-----BEGIN CERTIFICATE-----" blocks in `pem`.
size_t count_certificates(std::string_view pem);

} // namespace kmirror::kafka
