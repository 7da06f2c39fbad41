/* errors.h: the error codes every dtcost function returns, their texts, and
 * the three conventions every public header follows.
 *
 * Errors. A fallible function returns int: 0, or one of the codes below. The
 * one-line detail (what failed, why, what to do next; never a secret) lives
 * on the handle the function was called on, read with that module's
 * dtc_<module>_errmsg(handle) until the handle's next call. Functions that
 * fill a caller-owned result or config struct instead of a handle put it in
 * that struct's err member (dtc_config, dtc_push_result, dtc_sync_result,
 * ...), which is then the handle. Older functions taking (char *err, size_t
 * errlen) write the detail there; new code does not add such parameters.
 *
 * Ownership. Memory handed to the caller through an out pointer belongs to
 * the caller: a plain array or string (e.g. dtc_dps_environments' *out) is
 * freed with dtc_free() (a secret: dtc_free_secret()); an object with
 * insides is freed with its module's dtc_<noun>_free() (objects the library
 * allocates: dtc_dps_free) or dtc_<noun>_dispose() (caller-owned structs the
 * library filled: dtc_dps_detail_dispose). Everything else a function returns (const char *
 * messages, response bodies) is borrowed from the handle and valid until
 * its next call or its free. Pointers passed in are borrowed unless the
 * contract says "taken".
 *
 * Signatures. A handle's method takes the handle first; outputs come next
 * (named out), then inputs. Some older signatures put outputs last; new
 * code does not. */
#ifndef DTCOST_ERRORS_H
#define DTCOST_ERRORS_H

/* 0 is success; expected failures are small negative numbers. The details of
 * a failure (one-line message, HTTP status, library code) live on the handle
 * that produced it, never in a global. */
enum dtc_error {
    DTC_OK = 0,
    DTC_ENOMEM = -1,     /* allocation failed */
    DTC_EINVAL = -2,     /* bad argument or bad input from the user */
    DTC_ETOOBIG = -3,    /* input larger than its named cap */
    DTC_EIO = -4,        /* file or socket I/O failed */
    DTC_EHTTP = -5,      /* HTTP transport failed or unexpected status */
    DTC_EAUTH = -6,      /* credentials refused, token expired, scope missing */
    DTC_EPARSE = -7,     /* malformed JSON, date, number or archive entry */
    DTC_EZIP = -8,       /* corrupt, truncated or hostile ZIP archive */
    DTC_EDB = -9,        /* database error */
    DTC_ENOTFOUND = -10, /* the named thing does not exist */
    DTC_ERETRY = -11,    /* retries exhausted (429, 5xx, dropped connections) */
    DTC_EGONE = -12,     /* endpoint removed (HTTP 410) */
    DTC_EREQUEST = -13,  /* the server refused the request itself (HTTP 400) */
    DTC_EBUSY = -14,   /* another run holds the lock (a push to the same destination, a sync of the
                          same account) */
    DTC_EDBLOST = -15, /* the database server is unreachable or the connection was lost */
};

/* The fixed text of a code, e.g. "HTTP request failed". Never NULL. */
const char *dtc_strerror(int code);

/* Free memory the library handed over (see Ownership above). NULL is fine. */
void dtc_free(void *p);
/* Free a secret the library handed over (dtc_read_secret_file): overwritten
 * with zeros first. NULL is fine. */
void dtc_free_secret(char *s);

#if defined(__GNUC__)
#define DTC_MUST_CHECK __attribute__((warn_unused_result))
#else
#define DTC_MUST_CHECK
#endif

#endif
