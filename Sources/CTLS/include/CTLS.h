// CTLS: a TLS client connection made with OpenSSL's libssl, loaded with dlopen the first time an
// https request is made, for pdstep's own HTTP/1.1 client (SocketTransport).
//
// Why not libcurl for every https request: libcurl needs about thirty libraries (LDAP, Kerberos,
// GnuTLS, RTMP, SSH...) that cost a fresh process 4.7-6.4 ms to load, where libssl and libcrypto
// cost 1.2-1.3 ms (bench/README.md). libcurl stays for proxies, and wherever libssl 3 is missing.
// No OpenSSL header is needed to build: the few constants are OpenSSL 3's stable ABI values.
//
// The peer is always verified: its chain against the CA file given (or OpenSSL's default paths),
// and its name against the host (a DNS name, or an IP address), TLS 1.2 at least.
#ifndef CTLS_H
#define CTLS_H

#include <stddef.h>

/// What a TLS call came to.
enum {
    CTLS_DONE = 0,        // finished (the count is set)
    CTLS_WANT_READ = 1,   // wait until the socket is readable, then call again with the same arguments
    CTLS_WANT_WRITE = 2,  // wait until the socket is writable, then call again with the same arguments
    CTLS_CLOSED = 3,      // the peer closed the connection
    CTLS_FAILED = 4,      // a TLS or socket error: ctls_failure says which
};

/// Loads libssl (once); NULL when it is usable, else why not.
const char *ctls_load(void);

/// A client context trusting `ca_file` (PEM), or OpenSSL's default CA paths when NULL; NULL on
/// failure, with the reason in `error`.
void *ctls_context_new(const char *ca_file, char *error, size_t error_size);
void ctls_context_free(void *context);

/// A client connection over the connected socket `fd`, for `host` (sent as SNI unless it is an
/// IP address, and checked against the certificate); NULL if OpenSSL cannot make one.
void *ctls_new(void *context, int fd, const char *host);
void ctls_free(void *connection);

int ctls_handshake(void *connection);
int ctls_read(void *connection, void *buffer, int size, int *count);
int ctls_write(void *connection, const void *buffer, int size, int *count);

/// Why the last call failed: the certificate check's verdict, else OpenSSL's error.
const char *ctls_failure(void *connection, char *buffer, size_t size);

#endif
