#include "CTLS.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

// OpenSSL 3's ABI values (openssl/ssl.h, openssl/x509_vfy.h).
enum {
    SSL_VERIFY_PEER = 0x01,
    SSL_CTRL_MODE = 33,
    SSL_CTRL_SET_TLSEXT_HOSTNAME = 55,
    TLSEXT_NAMETYPE_host_name = 0,
    SSL_CTRL_SET_MIN_PROTO_VERSION = 123,
    TLS1_2_VERSION = 0x0303,
    SSL_MODE_ENABLE_PARTIAL_WRITE = 0x1,
    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = 0x2,
    SSL_ERROR_NONE = 0,
    SSL_ERROR_WANT_READ = 2,
    SSL_ERROR_WANT_WRITE = 3,
    SSL_ERROR_ZERO_RETURN = 6,
    X509_V_OK = 0,
};
// A peer that closes without close_notify ends the stream (as a plain socket's end does); the
// HTTP framing above says whether the answer was complete.
static const uint64_t SSL_OP_IGNORE_UNEXPECTED_EOF = (uint64_t)1 << 7;

static struct {
    int (*init_ssl)(uint64_t, const void *);
    const void *(*client_method)(void);
    void *(*ctx_new)(const void *);
    void (*ctx_free)(void *);
    void (*ctx_set_verify)(void *, int, void *);
    int (*ctx_load_verify_locations)(void *, const char *, const char *);
    int (*ctx_set_default_verify_paths)(void *);
    long (*ctx_ctrl)(void *, int, long, void *);
    uint64_t (*ctx_set_options)(void *, uint64_t);
    void *(*new)(void *);
    void (*free)(void *);
    int (*set_fd)(void *, int);
    long (*ctrl)(void *, int, long, void *);
    int (*set1_host)(void *, const char *);
    void *(*get0_param)(void *);
    int (*param_set1_ip_asc)(void *, const char *);
    int (*connect)(void *);
    int (*read)(void *, void *, int);
    int (*write)(void *, const void *, int);
    int (*get_error)(const void *, int);
    long (*get_verify_result)(const void *);
    const char *(*verify_error_string)(long);
    unsigned long (*err_get_error)(void);
    void (*err_error_string_n)(unsigned long, char *, size_t);
    void (*err_clear_error)(void);
} ssl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const char *load_error = "libssl was not loaded";

static void load(void) {
    void *library = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        load_error = "libssl.so.3 is not installed";
        return;
    }
    // dlsym on libssl's handle also finds libcrypto's symbols (a dependency of libssl).
#define BIND(field, symbol)                                  \
    *(void **)(&ssl.field) = dlsym(library, symbol);         \
    if (ssl.field == NULL) {                                 \
        load_error = "the installed libssl lacks " symbol;   \
        return;                                              \
    }
    BIND(init_ssl, "OPENSSL_init_ssl")
    BIND(client_method, "TLS_client_method")
    BIND(ctx_new, "SSL_CTX_new")
    BIND(ctx_free, "SSL_CTX_free")
    BIND(ctx_set_verify, "SSL_CTX_set_verify")
    BIND(ctx_load_verify_locations, "SSL_CTX_load_verify_locations")
    BIND(ctx_set_default_verify_paths, "SSL_CTX_set_default_verify_paths")
    BIND(ctx_ctrl, "SSL_CTX_ctrl")
    BIND(ctx_set_options, "SSL_CTX_set_options")
    BIND(new, "SSL_new")
    BIND(free, "SSL_free")
    BIND(set_fd, "SSL_set_fd")
    BIND(ctrl, "SSL_ctrl")
    BIND(set1_host, "SSL_set1_host")
    BIND(get0_param, "SSL_get0_param")
    BIND(param_set1_ip_asc, "X509_VERIFY_PARAM_set1_ip_asc")
    BIND(connect, "SSL_connect")
    BIND(read, "SSL_read")
    BIND(write, "SSL_write")
    BIND(get_error, "SSL_get_error")
    BIND(get_verify_result, "SSL_get_verify_result")
    BIND(verify_error_string, "X509_verify_cert_error_string")
    BIND(err_get_error, "ERR_get_error")
    BIND(err_error_string_n, "ERR_error_string_n")
    BIND(err_clear_error, "ERR_clear_error")
#undef BIND
    if (ssl.init_ssl(0, NULL) != 1) {
        load_error = "libssl failed to initialise (OPENSSL_init_ssl)";
        return;
    }
    load_error = NULL;
}

const char *ctls_load(void) {
    pthread_once(&load_once, load);
    return load_error;
}

static void last_error(char *buffer, size_t size, const char *otherwise) {
    unsigned long code = ssl.err_get_error();
    if (code != 0) {
        ssl.err_error_string_n(code, buffer, size);
    } else {
        snprintf(buffer, size, "%s", otherwise);
    }
}

void *ctls_context_new(const char *ca_file, char *error, size_t error_size) {
    ssl.err_clear_error();
    void *context = ssl.ctx_new(ssl.client_method());
    if (context == NULL) {
        last_error(error, error_size, "cannot make a TLS context");
        return NULL;
    }
    ssl.ctx_set_verify(context, SSL_VERIFY_PEER, NULL);
    ssl.ctx_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL);
    ssl.ctx_ctrl(context, SSL_CTRL_MODE, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, NULL);
    ssl.ctx_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
    int loaded = ca_file != NULL ? ssl.ctx_load_verify_locations(context, ca_file, NULL)
                                 : ssl.ctx_set_default_verify_paths(context);
    if (loaded != 1) {
        last_error(error, error_size, "cannot read the trusted certificates");
        ssl.ctx_free(context);
        return NULL;
    }
    return context;
}

void ctls_context_free(void *context) { ssl.ctx_free(context); }

void *ctls_new(void *context, int fd, const char *host) {
    void *connection = ssl.new(context);
    if (connection == NULL) return NULL;
    unsigned char address[16];
    int literal = inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
    int ok = ssl.set_fd(connection, fd) == 1;
    if (literal) {
        ok = ok && ssl.param_set1_ip_asc(ssl.get0_param(connection), host) == 1;
    } else {
        ok = ok && ssl.ctrl(connection, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, (void *)host) == 1;
        ok = ok && ssl.set1_host(connection, host) == 1;
    }
    if (!ok) {
        ssl.free(connection);
        return NULL;
    }
    return connection;
}

void ctls_free(void *connection) { ssl.free(connection); }

// OpenSSL writes to the socket with write(2): a peer that has gone would raise SIGPIPE, which
// ends the process. It is blocked on this thread for the call, and a SIGPIPE the call raised
// is taken back before the thread's mask is restored (as libpq does).
typedef struct {
    sigset_t previous;
    int was_pending;
} pipe_guard;

static void guard_begin(pipe_guard *guard) {
    sigset_t pipe, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigpending(&pending);
    guard->was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &guard->previous);
}

static void guard_end(pipe_guard *guard, int outcome) {
    // Only a call that failed can have met a closed socket.
    if ((outcome == CTLS_FAILED || outcome == CTLS_CLOSED) && !guard->was_pending) {
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        struct timespec now = {0, 0};
        int saved = errno;
        while (sigtimedwait(&pipe, NULL, &now) == SIGPIPE) {}
        errno = saved;
    }
    pthread_sigmask(SIG_SETMASK, &guard->previous, NULL);
}

static int status(void *connection, int result) {
    switch (ssl.get_error(connection, result)) {
    case SSL_ERROR_NONE: return CTLS_DONE;
    case SSL_ERROR_WANT_READ: return CTLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return CTLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return CTLS_CLOSED;
    default: return CTLS_FAILED;
    }
}

enum operation { HANDSHAKE, READ, WRITE };

// One OpenSSL call, SIGPIPE guarded, with its outcome; `count` gets the bytes read or written.
static int call(void *connection, enum operation operation, void *buffer, int size, int *count) {
    pipe_guard guard;
    guard_begin(&guard);
    ssl.err_clear_error();
    errno = 0;
    int result = operation == HANDSHAKE ? ssl.connect(connection)
                 : operation == READ    ? ssl.read(connection, buffer, size)
                                        : ssl.write(connection, buffer, size);
    int outcome = result > 0 ? CTLS_DONE : status(connection, result);
    guard_end(&guard, outcome);
    if (count != NULL) *count = result > 0 ? result : 0;
    return outcome;
}

int ctls_handshake(void *connection) { return call(connection, HANDSHAKE, NULL, 0, NULL); }

int ctls_read(void *connection, void *buffer, int size, int *count) {
    return call(connection, READ, buffer, size, count);
}

int ctls_write(void *connection, const void *buffer, int size, int *count) {
    return call(connection, WRITE, (void *)buffer, size, count);
}

const char *ctls_failure(void *connection, char *buffer, size_t size) {
    long verdict = ssl.get_verify_result(connection);
    if (verdict != X509_V_OK) {
        snprintf(buffer, size, "the certificate is not trusted: %s", ssl.verify_error_string(verdict));
    } else {
        char reason[256];
        last_error(reason, sizeof reason, errno != 0 ? strerror(errno) : "the connection ended");
        snprintf(buffer, size, "%s", reason);
    }
    return buffer;
}
