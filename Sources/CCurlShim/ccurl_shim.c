#include "ccurl_shim.h"
#include "dynamic_load.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

// ---- Loading ----------------------------------------------------------------

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    char *(*easy_escape)(CURL *, const char *, int);
    void (*free)(void *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned, int, int *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
} api;

// The functions of `api`, in its order.
static const char *const api_names[] = {
    "curl_global_init", "curl_easy_init", "curl_easy_cleanup", "curl_easy_setopt", "curl_easy_getinfo",
    "curl_easy_strerror", "curl_easy_escape", "curl_free", "curl_slist_append", "curl_slist_free_all",
    "curl_multi_init", "curl_multi_cleanup", "curl_multi_add_handle", "curl_multi_remove_handle",
    "curl_multi_perform", "curl_multi_poll", "curl_multi_info_read",
};
_Static_assert(sizeof api == sizeof api_names / sizeof api_names[0] * sizeof(void *), "a name per function of api");

static int global_init(char *error, size_t error_size) {
    if (api.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) return 1;
    snprintf(error, error_size, "curl_global_init failed");
    return 0;
}

static struct dynamic_library libcurl = {
    .soname = "libcurl.so.4", .install = "apt-get install libcurl4", .need = "(libcurl 7.66 or later needed)",
    .names = api_names, .slots = (void **)&api, .count = sizeof api_names / sizeof api_names[0],
    .ready = global_init, .lock = PTHREAD_MUTEX_INITIALIZER,
};

int ccurl_load(void) { return dynamic_library_load(&libcurl) ? 0 : 1; }

const char *ccurl_load_error(void) { return libcurl.error; }

// ---- Buffers ----------------------------------------------------------------

// Grows to fit, doubling, but never past `limit` (the body cap): a body
// just under the cap must not cost twice the cap.
static int append(char **buf, size_t *len, size_t *cap, size_t limit, const char *data, size_t n) {
    if (*len + n > *cap) {
        size_t want = *cap ? *cap : 16384;
        while (want < *len + n) want *= 2;
        if (want > limit && limit >= *len + n) want = limit;
        char *grown = realloc(*buf, want);
        if (!grown) return 0;
        *buf = grown;
        *cap = want;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    return 1;
}

// Counts `total` bytes of this transfer's body in the shared budget.
// 0 when they do not fit.
static int claim(ccurl_transfer *t, size_t total) {
    if (!t->budget || total <= t->budget_held) return 1;
    size_t more = total - t->budget_held;
    if (t->budget->used + more > t->budget->max) {
        t->over_budget = 1;
        return 0;
    }
    t->budget->used += more;
    t->budget_held = total;
    return 1;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user) {
    ccurl_transfer *t = user;
    size_t n = size * nmemb;
    if (t->body_len + n > t->max_bytes) {
        t->too_large = 1;
        return 0;  // curl stops with CURLE_WRITE_ERROR
    }
    if (!claim(t, t->body_len + n)) return 0;
    return append(&t->body, &t->body_len, &t->body_cap, t->max_bytes, data, n) ? n : 0;
}

// "Content-Length: 123" -> 123; -1 for any other line.
static long long content_length(const char *data, size_t n) {
    static const char name[] = "content-length:";
    size_t k = sizeof name - 1;
    if (n <= k || strncasecmp(data, name, k) != 0) return -1;
    long long v = 0;
    size_t i = k;
    while (i < n && (data[i] == ' ' || data[i] == '\t')) i++;
    if (i == n || data[i] < '0' || data[i] > '9') return -1;
    for (; i < n && data[i] >= '0' && data[i] <= '9'; i++) {
        if (v > (LLONG_MAX - 9) / 10) return LLONG_MAX;
        v = v * 10 + (data[i] - '0');
    }
    return v;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user) {
    ccurl_transfer *t = user;
    size_t n = size * nmemb;
    // A status line starts a new response (after a 100 Continue): keep only
    // the last one's headers.
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        t->head_len = 0;
        const char *space = memchr(data, ' ', n);
        t->informational = space && space + 1 < data + n && space[1] == '1';
    }
    if (t->head_len + n > (1u << 20)) return 0;  // 1 MiB of headers is an attack
    // An announced body over a cap fails now, before a byte of it arrives.
    long long announced = t->no_body || t->informational ? -1 : content_length(data, n);
    if (announced >= 0) {
        if ((unsigned long long)announced > t->max_bytes) {
            t->too_large = 1;
            return 0;
        }
        if (!claim(t, (size_t)announced)) return 0;
    }
    return append(&t->head, &t->head_len, &t->head_cap, SIZE_MAX, data, n) ? n : 0;
}

// ---- Transfers ----------------------------------------------------------------

ccurl_transfer *ccurl_transfer_new(size_t max_bytes) {
    if (ccurl_load() != 0) return NULL;
    ccurl_transfer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->easy = api.easy_init();
    if (!t->easy) {
        free(t);
        return NULL;
    }
    t->max_bytes = max_bytes;
    api.easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
    api.easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
    api.easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
    api.easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
    api.easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->errbuf);
    api.easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    // labsh owns SIGALRM (--timeout); curl must not use signals.
    api.easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    return t;
}

void ccurl_transfer_free(ccurl_transfer *t) {
    if (!t) return;
    api.easy_cleanup(t->easy);
    if (t->headers) api.slist_free_all(t->headers);
    free(t->body);
    free(t->head);
    free(t);
}

void ccurl_transfer_release_budget(ccurl_transfer *t) {
    if (t->budget) t->budget->used -= t->budget_held;
    t->budget_held = 0;
}

void ccurl_transfer_reset_response(ccurl_transfer *t) {
    ccurl_transfer_release_budget(t);
    t->body_len = 0;
    t->head_len = 0;
    t->too_large = 0;
    t->over_budget = 0;
    t->informational = 0;
    t->errbuf[0] = 0;
}

int ccurl_add_header(ccurl_transfer *t, const char *line) {
    struct curl_slist *next = api.slist_append(t->headers, line);
    if (!next) return 1;
    t->headers = next;
    return api.easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
}

int ccurl_setopt_long(ccurl_transfer *t, CURLoption opt, long value) {
    return api.easy_setopt(t->easy, opt, value);
}

int ccurl_setopt_off_t(ccurl_transfer *t, CURLoption opt, curl_off_t value) {
    return api.easy_setopt(t->easy, opt, value);
}

int ccurl_setopt_str(ccurl_transfer *t, CURLoption opt, const char *value) {
    return api.easy_setopt(t->easy, opt, value);
}

long ccurl_getinfo_long(ccurl_transfer *t, CURLINFO info) {
    long v = 0;
    api.easy_getinfo(t->easy, info, &v);
    return v;
}

double ccurl_getinfo_double(ccurl_transfer *t, CURLINFO info) {
    double v = 0;
    api.easy_getinfo(t->easy, info, &v);
    return v;
}

const char *ccurl_getinfo_str(ccurl_transfer *t, CURLINFO info) {
    char *v = NULL;
    api.easy_getinfo(t->easy, info, &v);
    return v;
}

const char *ccurl_strerror(CURLcode code) {
    return ccurl_load() == 0 ? api.easy_strerror(code) : libcurl.error;
}

char *ccurl_escape(const char *bytes, int len) {
    if (ccurl_load() != 0) return NULL;
    return api.easy_escape(NULL, bytes, len);
}

void ccurl_free(void *p) {
    if (p && libcurl.state > 0) api.free(p);
}

// ---- Multi ----------------------------------------------------------------

CURLM *ccurl_multi_new(void) {
    if (ccurl_load() != 0) return NULL;
    return api.multi_init();
}

void ccurl_multi_free(CURLM *m) {
    if (m) api.multi_cleanup(m);
}

int ccurl_multi_add(CURLM *m, ccurl_transfer *t) { return api.multi_add_handle(m, t->easy); }
int ccurl_multi_remove(CURLM *m, ccurl_transfer *t) { return api.multi_remove_handle(m, t->easy); }

int ccurl_multi_perform(CURLM *m, int *running) { return api.multi_perform(m, running); }

int ccurl_multi_poll(CURLM *m, int extra_fd, int timeout_ms) {
    struct curl_waitfd extra = {.fd = extra_fd, .events = CURL_WAIT_POLLIN, .revents = 0};
    int n = 0;
    api.multi_poll(m, extra_fd >= 0 ? &extra : NULL, extra_fd >= 0 ? 1 : 0, timeout_ms, &n);
    return extra_fd >= 0 && (extra.revents & CURL_WAIT_POLLIN);
}

ccurl_transfer *ccurl_multi_next_done(CURLM *m, CURLcode *result) {
    int left = 0;
    CURLMsg *msg;
    while ((msg = api.multi_info_read(m, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) continue;
        ccurl_transfer *t = NULL;
        api.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        *result = msg->data.result;
        return t;
    }
    return NULL;
}
