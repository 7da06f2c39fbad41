/* errors.h: the error codes every dtcost function returns, and their texts. */
#ifndef DTCOST_ERRORS_H
#define DTCOST_ERRORS_H

/* 0 is success; expected failures are small negative numbers. The details of
 * a failure (one-line message, HTTP status, library code) live on the handle
 * that produced it, never in a global. */
enum dtc_error {
    DTC_OK = 0,
    DTC_ENOMEM = -1,    /* allocation failed */
    DTC_EINVAL = -2,    /* bad argument or bad input from the user */
    DTC_ETOOBIG = -3,   /* input larger than its named cap */
    DTC_EIO = -4,       /* file or socket I/O failed */
    DTC_EHTTP = -5,     /* HTTP transport failed or unexpected status */
    DTC_EAUTH = -6,     /* credentials refused, token expired, scope missing */
    DTC_EPARSE = -7,    /* malformed JSON, date, number or archive entry */
    DTC_EZIP = -8,      /* corrupt, truncated or hostile ZIP archive */
    DTC_EDB = -9,       /* database error */
    DTC_ENOTFOUND = -10, /* the named thing does not exist */
    DTC_ERETRY = -11,   /* retries exhausted (429, 5xx, dropped connections) */
    DTC_EGONE = -12,    /* endpoint removed (HTTP 410) */
    DTC_EREQUEST = -13, /* the server refused the request itself (HTTP 400) */
    DTC_EBUSY = -14,    /* another run holds the lock (a push to the same destination, a sync of the same account) */
    DTC_EDBLOST = -15,  /* the database server is unreachable or the connection was lost */
};

/* The fixed text of a code, e.g. "HTTP request failed". Never NULL. */
const char *dtc_strerror(int code);

#if defined(__GNUC__)
#define DTC_MUST_CHECK __attribute__((warn_unused_result))
#else
#define DTC_MUST_CHECK
#endif

#endif
