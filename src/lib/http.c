/* http.c: libcurl wrapper with a capped body and the few headers we read. */
#include "dtcost/http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "dtcost/retry.h"
#include "dtcost/version.h"

struct dtc_http {
    CURL *curl;
    dtc_buf body;
    dtc_http_resp *cur;
    dtc_http_req *rq; /* the request being performed */
    bool too_big, sink_failed;
    char err[512];
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    dtc_http *h = ud;
    size_t len = size * n;
    if (h->rq && h->rq->sink) {
        long status = 0;
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300) {
            if (h->rq->sink_len + len > h->rq->sink_cap) {
                h->too_big = true;
                return 0;
            }
            if (fwrite(p, 1, len, h->rq->sink) != len) {
                h->sink_failed = true;
                return 0;
            }
            h->rq->sink_len += len;
            return len;
        }
    }
    if (dtc_buf_add(&h->body, p, len) != 0) {
        h->too_big = true;
        return 0; /* abort the transfer */
    }
    return len;
}

static void header_value(const char *line, size_t len, char *dst, size_t dstlen)
{
    const char *v = memchr(line, ':', len);
    if (!v) return;
    v++;
    while (v < line + len && (*v == ' ' || *v == '\t'))
        v++;
    size_t n = (size_t)(line + len - v);
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    if (n >= dstlen) n = dstlen - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    dtc_http *h = ud;
    size_t len = size * n;
    dtc_http_resp *r = h->cur;
    char tmp[64];
    if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
        header_value(p, len, tmp, sizeof(tmp));
        if (dtc_retry_after_parse(&r->retry_after, tmp, time(NULL)) != 0)
            r->retry_after = -1; /* unreadable: as if absent */
    } else if (len > 12 && strncasecmp(p, "Deprecation:", 12) == 0) {
        header_value(p, len, r->deprecation, sizeof(r->deprecation));
    } else if (len > 7 && strncasecmp(p, "Sunset:", 7) == 0) {
        header_value(p, len, r->sunset, sizeof(r->sunset));
    } else if (len > 13 && strncasecmp(p, "Content-Type:", 13) == 0) {
        header_value(p, len, r->content_type, sizeof(r->content_type));
    }
    return len;
}

/* curl_global_init is not thread-safe on every libcurl build and must run
 * before any other thread uses libcurl: once, whichever thread comes first. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int dtc_http_global_init(void)
{
    if (pthread_once(&curl_once, curl_init) != 0 || curl_init_rc != CURLE_OK) return DTC_EHTTP;
    return 0;
}

int dtc_http_new(dtc_http **out, size_t body_cap)
{
    if (dtc_http_global_init() != 0) return DTC_EHTTP;
    dtc_http *h = dtc_calloc(1, sizeof(*h));
    if (!h) return DTC_ENOMEM;
    h->curl = curl_easy_init();
    if (!h->curl) {
        dtc_free(h);
        return DTC_ENOMEM;
    }
    dtc_buf_init(&h->body, body_cap);
    *out = h;
    return 0;
}

void dtc_http_free(dtc_http *h)
{
    if (!h) return;
    curl_easy_cleanup(h->curl);
    dtc_buf_dispose(&h->body);
    dtc_free(h);
}

const char *dtc_http_errmsg(const dtc_http *h)
{
    return h->err;
}

char *dtc_http_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *copy = e ? dtc_strdup(e) : NULL;
    curl_free(e);
    return copy;
}

static int perform(dtc_http *h, dtc_http_req *rq, dtc_http_resp *resp)
{
    const char *method = rq->method, *url = rq->url, *authorization = rq->authorization;
    CURL *c = h->curl;
    struct curl_slist *hdrs = NULL, *t;
    char line[2048];
    int rc = 0;
    memset(resp, 0, sizeof(*resp));
    resp->retry_after = -1;
    dtc_buf_reset(&h->body);
    h->too_big = h->sink_failed = false;
    h->cur = resp;
    h->rq = rq;
    rq->sink_len = 0;
    h->err[0] = '\0';

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     rq->connect_timeout_ms > 0 ? rq->connect_timeout_ms : 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rq->timeout_ms > 0 ? rq->timeout_ms : 300000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "dtcost/" DTCOST_VERSION);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (authorization) {
        snprintf(line, sizeof(line), "Authorization: %s", authorization);
        if (!(t = curl_slist_append(hdrs, line))) goto nomem;
        hdrs = t;
    }
    snprintf(line, sizeof(line), "Accept: %s", rq->accept ? rq->accept : "application/json");
    if (!(t = curl_slist_append(hdrs, line))) goto nomem;
    hdrs = t;
    for (size_t i = 0; i < rq->nheaders; i++) {
        if (!(t = curl_slist_append(hdrs, rq->headers[i]))) goto nomem;
        hdrs = t;
    }
    if (strcmp(method, "POST") == 0) {
        snprintf(line, sizeof(line), "Content-Type: %s", rq->content_type);
        if (!(t = curl_slist_append(hdrs, line))) goto nomem;
        hdrs = t;
        /* No "Expect: 100-continue" round trip for large bodies. */
        if (!(t = curl_slist_append(hdrs, "Expect:"))) goto nomem;
        hdrs = t;
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    CURLcode cc = curl_easy_perform(c);
    /* Messages name the URL without its query: page keys are long and noisy. */
    const char *q = strchr(url, '?');
    int ulen = q ? (int)(q - url) : (int)strlen(url);
    if (cc != CURLE_OK) {
        if (h->too_big)
            snprintf(h->err, sizeof(h->err), "%s %.*s: response larger than %llu bytes", method,
                     ulen, url, rq->sink ? rq->sink_cap : (unsigned long long)h->body.cap);
        else if (h->sink_failed)
            snprintf(h->err, sizeof(h->err), "%s %.*s: writing the download failed (disk full?)",
                     method, ulen, url);
        else
            snprintf(h->err, sizeof(h->err), "%s %.*s failed: %s", method, ulen, url,
                     curl_easy_strerror(cc));
        rc = h->too_big ? DTC_ETOOBIG : DTC_EHTTP;
        goto done;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->body = h->body.data ? h->body.data : "";
    resp->body_len = h->body.len;
    goto done;
nomem:
    rc = DTC_ENOMEM;
done:
    curl_slist_free_all(hdrs);
    h->cur = NULL;
    h->rq = NULL;
    return rc;
}

int dtc_http_get(dtc_http *h, dtc_http_resp *resp, const char *url, const char *authorization)
{
    dtc_http_req rq = {.method = "GET", .url = url, .authorization = authorization};
    return perform(h, &rq, resp);
}

int dtc_http_post(dtc_http *h, dtc_http_resp *resp, const char *url, const char *authorization,
                  const char *content_type, const char *body, size_t len)
{
    dtc_http_req rq = {.method = "POST",
                       .url = url,
                       .authorization = authorization,
                       .content_type = content_type,
                       .body = body,
                       .len = len};
    return perform(h, &rq, resp);
}

int dtc_http_send(dtc_http *h, dtc_http_resp *resp, dtc_http_req *req)
{
    return perform(h, req, resp);
}
