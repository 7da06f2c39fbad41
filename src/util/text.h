/* text.h: untrusted text (a server's error message, a name from an API) made
 * safe to print on one line of a terminal or a log. */
#ifndef DTC_TEXT_H
#define DTC_TEXT_H
#include <stddef.h>

/* Copy src[0..len) into dst (size n) as one line of at most max bytes:
 * control characters (including ESC and DEL) become single spaces, runs of
 * spaces collapse, leading and trailing spaces go, and every occurrence of
 * each non-empty secrets[i] (at least 4 bytes; shorter ones are ignored so
 * common words survive) is replaced by "***" before anything is cut, so no
 * part of a secret survives at the cut. A cut ends at a UTF-8 character
 * boundary and is marked "...". Returns dst (always NUL-terminated). */
char *dtc_text_oneline(char *dst, size_t n, const char *src, size_t len, size_t max,
                       const char *const *secrets, size_t nsecrets);

#endif
