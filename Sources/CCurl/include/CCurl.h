// CCurl: libcurl's easy interface, loaded with dlopen the first time an https request is made.
//
// Why C: curl_easy_setopt and curl_easy_getinfo are variadic, and Swift cannot call a variadic C
// function. Why dlopen: linking libcurl makes every pdstep process load it and its ~30 libraries
// at start-up (about 10 ms), even the many that only talk plain http to the sandbox or never
// touch the network. No curl header is needed to build: the few constants below are libcurl's
// stable ABI values, copied from curl.h (7.x and 8.x).
#ifndef CCURL_H
#define CCURL_H

#include <stddef.h>
#include <stdint.h>

typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t count, void *context);
typedef int (*ccurl_progress_callback)(void *context, int64_t download_total, int64_t downloaded,
                                       int64_t upload_total, int64_t uploaded);

enum {
    CCURLOPT_WRITEDATA = 10001,
    CCURLOPT_URL = 10002,
    CCURLOPT_PROXY = 10004,
    CCURLOPT_ERRORBUFFER = 10010,
    CCURLOPT_WRITEFUNCTION = 20011,
    CCURLOPT_POSTFIELDS = 10015,
    CCURLOPT_HTTPHEADER = 10023,
    CCURLOPT_HEADERDATA = 10029,
    CCURLOPT_CUSTOMREQUEST = 10036,
    CCURLOPT_NOPROGRESS = 43,
    CCURLOPT_NOBODY = 44,
    CCURLOPT_POST = 47,
    CCURLOPT_CAINFO = 10065,
    CCURLOPT_HEADERFUNCTION = 20079,
    CCURLOPT_HTTPGET = 80,
    CCURLOPT_NOSIGNAL = 99,
    CCURLOPT_FRESH_CONNECT = 74,
    CCURLOPT_POSTFIELDSIZE_LARGE = 30120,
    CCURLOPT_TIMEOUT_MS = 155,
    CCURLOPT_NOPROXY = 10177,
    CCURLOPT_XFERINFODATA = 10057,
    CCURLOPT_XFERINFOFUNCTION = 20219,
    // SMTP (email notifications).
    CCURLOPT_READDATA = 10009,
    CCURLOPT_READFUNCTION = 20012,
    CCURLOPT_UPLOAD = 46,
    CCURLOPT_INFILESIZE_LARGE = 30115,
    CCURLOPT_USE_SSL = 119,
    CCURLOPT_USERNAME = 10173,
    CCURLOPT_PASSWORD = 10174,
    CCURLOPT_MAIL_FROM = 10186,
    CCURLOPT_MAIL_RCPT = 10187,
    CCURLUSESSL_ALL = 3,
    CCURLINFO_RESPONSE_CODE = 0x200002,
    CCURL_ERROR_SIZE = 256,
};

/// Loads libcurl and runs curl_global_init, once per process. Returns NULL when libcurl is
/// ready, else a message saying why not.
const char *ccurl_load(void);

void *ccurl_easy_init(void);
void ccurl_easy_cleanup(void *handle);
void ccurl_easy_reset(void *handle);
int ccurl_easy_perform(void *handle);
const char *ccurl_easy_strerror(int code);

int ccurl_setopt_long(void *handle, int option, long value);
int ccurl_setopt_int64(void *handle, int option, int64_t value);
int ccurl_setopt_pointer(void *handle, int option, const void *value);
int ccurl_setopt_data_callback(void *handle, int option, ccurl_data_callback callback);
int ccurl_setopt_progress_callback(void *handle, int option, ccurl_progress_callback callback);
int ccurl_getinfo_long(void *handle, int info, long *value);

void *ccurl_slist_append(void *list, const char *string);
void ccurl_slist_free_all(void *list);

#endif
