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
// * PKCS12 key stores and PEM stores are left as they are (librdkafka reads them itself).
// * A PEM client certificate (after conversion, or as given) that has expired or is not yet
//   valid is an error naming the key and the date (the broker would only say "certificate
//   unknown").
//
// Errors name the Java key, the file and the cause, never a password or key material.
#pragma once

#include "util/properties.h"
#include "util/result.h"

namespace kmirror::kafka {

// Rewrites `java` in place; no-op when it names no JKS/JCEKS/PKCS12 store.
Status resolve_key_stores(Properties& java);

} // namespace kmirror::kafka
