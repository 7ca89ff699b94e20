#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>

static struct {
    int (*global_init)(long flags);
    void *(*easy_init)(void);
    void (*easy_cleanup)(void *);
    void (*easy_reset)(void *);
    int (*easy_perform)(void *);
    const char *(*easy_strerror)(int);
    int (*easy_setopt)(void *, int, ...);
    int (*easy_getinfo)(void *, int, ...);
    void *(*slist_append)(void *, const char *);
    void (*slist_free_all)(void *);
} curl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const char *load_error = "libcurl was not loaded";

static void load(void) {
    // Debian and Ubuntu ship libcurl.so.4 (OpenSSL) or libcurl-gnutls.so.4; other distributions
    // libcurl.so.4. The unversioned name only exists with the development package.
    static const char *const names[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"};
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (library == NULL) {
        load_error = "https needs libcurl, which is not installed (Debian/Ubuntu: apt-get install libcurl4; "
                     "Fedora/RHEL: dnf install libcurl)";
        return;
    }
#define BIND(field, symbol)                                   \
    *(void **)(&curl.field) = dlsym(library, symbol);          \
    if (curl.field == NULL) {                                  \
        load_error = "the installed libcurl lacks " symbol;    \
        return;                                                \
    }
    BIND(global_init, "curl_global_init")
    BIND(easy_init, "curl_easy_init")
    BIND(easy_cleanup, "curl_easy_cleanup")
    BIND(easy_reset, "curl_easy_reset")
    BIND(easy_perform, "curl_easy_perform")
    BIND(easy_strerror, "curl_easy_strerror")
    BIND(easy_setopt, "curl_easy_setopt")
    BIND(easy_getinfo, "curl_easy_getinfo")
    BIND(slist_append, "curl_slist_append")
    BIND(slist_free_all, "curl_slist_free_all")
#undef BIND
    // CURL_GLOBAL_DEFAULT (SSL | WIN32): once, before any handle exists.
    if (curl.global_init(3L) != 0) {
        load_error = "libcurl failed to initialise (curl_global_init)";
        return;
    }
    load_error = NULL;
}

const char *ccurl_load(void) {
    pthread_once(&load_once, load);
    return load_error;
}

void *ccurl_easy_init(void) { return curl.easy_init(); }
void ccurl_easy_cleanup(void *handle) { curl.easy_cleanup(handle); }
void ccurl_easy_reset(void *handle) { curl.easy_reset(handle); }
int ccurl_easy_perform(void *handle) { return curl.easy_perform(handle); }
const char *ccurl_easy_strerror(int code) { return curl.easy_strerror(code); }

int ccurl_setopt_long(void *handle, int option, long value) { return curl.easy_setopt(handle, option, value); }
int ccurl_setopt_int64(void *handle, int option, int64_t value) { return curl.easy_setopt(handle, option, value); }
int ccurl_setopt_pointer(void *handle, int option, const void *value) { return curl.easy_setopt(handle, option, value); }
int ccurl_setopt_data_callback(void *handle, int option, ccurl_data_callback callback) {
    return curl.easy_setopt(handle, option, callback);
}
int ccurl_setopt_progress_callback(void *handle, int option, ccurl_progress_callback callback) {
    return curl.easy_setopt(handle, option, callback);
}
int ccurl_getinfo_long(void *handle, int info, long *value) { return curl.easy_getinfo(handle, info, value); }

void *ccurl_slist_append(void *list, const char *string) { return curl.slist_append(list, string); }
void ccurl_slist_free_all(void *list) { curl.slist_free_all(list); }
