/* text.h: untrusted text (a server's error message, a name from an API) made
 * safe to print on one line of a terminal or a log, and URLs made safe to
 * show. */
#ifndef DTC_TEXT_H
#define DTC_TEXT_H
#include <stdbool.h>
#include <stddef.h>

/* Copy src[0..len) into dst (size n) as one line of at most max bytes:
 * control characters (C0 including ESC, DEL, and the C1 range U+0080..U+009F
 * in UTF-8) become single spaces, runs of spaces collapse, leading and
 * trailing spaces go, and every occurrence of each non-empty secrets[i] (at
 * least 4 bytes; shorter ones are ignored so common words survive) is
 * replaced by "***" before anything is cut, so no part of a secret survives
 * at the cut. Each secret is also found percent-encoded (upper or lower
 * hex) and form-encoded (space as '+'), the way a server echoing a request
 * body would write it. A cut ends at a UTF-8 character boundary and is
 * marked "...". Returns dst (always NUL-terminated). */
char *dtc_text_oneline(char *dst, size_t n, const char *src, size_t len, size_t max,
                       const char *const *secrets, size_t nsecrets);

/* url in a form safe to print, log, store or label a metric with
 * (docs/push.md, "What dtcost shows of a URL"): the scheme, host and port
 * stay; userinfo becomes "***@"; each path segment stays only when it reads
 * like a word (at most 3 characters; at most 8 lowercase letters and digits,
 * like an environment id; or 4..24 letters, '-', '_' and '.' with at most
 * one uppercase letter in four), anything else (digits, long or random-looking
 * segments such as Slack's T000/B000/XXXX or a Teams GUID) becomes "***";
 * query names stay when they read like words and every query value becomes
 * "***"; a fragment becomes "#***". Output cut to n - 1 bytes. Returns dst. */
char *dtc_text_url_redact(char *dst, size_t n, const char *url);

/* Does url carry userinfo ("user:password@" before the host)? dtcost
 * refuses such URLs wherever one is configured: credentials belong in
 * secret files, and a URL is printed. */
bool dtc_text_url_has_userinfo(const char *url);

#endif
