/* errors.h: the error codes every dtcost function returns, their texts, and
 * the three conventions every public header follows.
 *
 * Errors. A fallible function returns int: 0, or one of the codes below. The
 * one-line detail (what failed, why, what to do next; never a secret) lives
 * on the handle the function was called on, read with that module's
 * dtc_<module>_errmsg(handle) until the handle's next call. Functions that
 * fill a caller-owned result or config struct with an err member put the
 * detail there (dtc_config, dtc_allocation, dtc_push_result,
 * dtc_lic_import_stats, ...): that struct is then the handle. A function
 * with no handle to hold the detail (a constructor before its object
 * exists, a parser of a plain struct without an err member, a check on a
 * path) takes char *err, size_t errlen as its last two parameters and
 * writes the detail there: dtc_config_find, dtc_config_db_require,
 * dtc_read_secret_file, dtc_push_dest_add_header, dtc_push_dest_header_file,
 * dtc_push_dest_check, dtc_schedule_parse, dtc_store_open. A function whose
 * failures need no more than the code's text (dtc_http_new, dtc_dps_new:
 * DTC_ENOMEM) takes neither.
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
 * Signatures. Parameters come in this order: the handle (the object whose
 * errmsg or err member holds the detail; a function of the report, export,
 * metrics and verify modules takes the store as its handle), then the
 * outputs (named out; an array and its count side by side, T **out, size_t
 * *n; a stream the function writes to is an output and comes first among
 * them), then the inputs, then err, errlen when there is no handle. A
 * function with no handle and no err puts its outputs first. */
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
