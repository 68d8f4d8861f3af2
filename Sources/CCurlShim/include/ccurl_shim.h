// CCurlShim: libcurl loaded with dlopen on first use, so labsh does not map
// libcurl and its ~30 dependencies at start-up. <curl/curl.h> is used for
// types and constants only; every call goes through a pointer from dlsym.
// curl_easy_setopt/getinfo are variadic, which Swift cannot call: typed,
// non-variadic wrappers stand in for them.
#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

// Loads libcurl.so.4 once (thread-safe). 0 on success; otherwise nonzero and
// ccurl_load_error() says why.
int ccurl_load(void);
const char *ccurl_load_error(void);

// ---- One transfer: an easy handle with its response buffers ---------------

// A bound on the body bytes of many transfers together (a batch), shared by
// their callbacks; one thread runs them all (the multi interface).
typedef struct ccurl_budget {
    size_t used, max;
} ccurl_budget;

// The body and the headers of the last response are collected here by C
// callbacks: no Swift closure crosses into libcurl.
typedef struct ccurl_transfer {
    CURL *easy;
    struct curl_slist *headers;  // request headers, freed with the transfer
    char *body;
    size_t body_len, body_cap;
    size_t max_bytes;            // the body cap; past it the write fails
    int too_large;               // set when the cap stopped the transfer
    ccurl_budget *budget;        // NULL, or the batch's bound (not owned)
    size_t budget_held;          // bytes this transfer counts in `budget`
    int over_budget;             // set when the budget stopped the transfer
    int no_body;                 // HEAD: a Content-Length announces nothing
    int informational;           // the response being read is a 1xx
    char *head;                  // raw header lines of the final response
    size_t head_len, head_cap;
    char errbuf[CURL_ERROR_SIZE];
    void *user;                  // the caller's tag
} ccurl_transfer;

ccurl_transfer *ccurl_transfer_new(size_t max_bytes);
void ccurl_transfer_free(ccurl_transfer *t);
// Forget the response of a previous attempt (for a retry); its bytes leave
// the budget.
void ccurl_transfer_reset_response(ccurl_transfer *t);
// The body will not be kept (a failure, a redirect): its bytes leave the
// budget. Bodies that are kept stay counted after the transfer is freed.
void ccurl_transfer_release_budget(ccurl_transfer *t);
int ccurl_add_header(ccurl_transfer *t, const char *line);  // 0 on success

int ccurl_setopt_long(ccurl_transfer *t, CURLoption opt, long value);
int ccurl_setopt_off_t(ccurl_transfer *t, CURLoption opt, curl_off_t value);
int ccurl_setopt_str(ccurl_transfer *t, CURLoption opt, const char *value);

long ccurl_getinfo_long(ccurl_transfer *t, CURLINFO info);
double ccurl_getinfo_double(ccurl_transfer *t, CURLINFO info);
// NULL if not known; owned by curl.
const char *ccurl_getinfo_str(ccurl_transfer *t, CURLINFO info);

const char *ccurl_strerror(CURLcode code);
// URL-encodes `len` bytes; the result is freed with ccurl_free.
char *ccurl_escape(const char *bytes, int len);
void ccurl_free(void *p);

// ---- Many transfers at once -----------------------------------------------

CURLM *ccurl_multi_new(void);
void ccurl_multi_free(CURLM *m);
int ccurl_multi_add(CURLM *m, ccurl_transfer *t);
int ccurl_multi_remove(CURLM *m, ccurl_transfer *t);
// Runs what can run now; *running gets the number of transfers in flight.
int ccurl_multi_perform(CURLM *m, int *running);
// Waits up to timeout_ms for activity on the transfers or on extra_fd
// (ignored when negative). Returns nonzero when extra_fd is readable.
int ccurl_multi_poll(CURLM *m, int extra_fd, int timeout_ms);
// The next finished transfer and its result, or NULL when there is none.
ccurl_transfer *ccurl_multi_next_done(CURLM *m, CURLcode *result);

#endif
