/* license.h: Managed cluster license exports (classic licensing) turned into
 * billed units: host-unit hours (Full-Stack, Infrastructure, application-only),
 * DEM units and DDUs per pool, per cluster, environment and hour.
 *
 * The rules are the contract's section 6; every figure is an integer in a
 * fixed unit (milli host-unit hours, centi DEM units, micro DDUs) so sums are
 * exact and match any independent implementation to the last digit. Where
 * the contract leaves a choice open, dtc_license_rules makes it a setting.
 * Details: docs/license.md. */
#ifndef DTCOST_LICENSE_H
#define DTCOST_LICENSE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtcost/errors.h"
#include "dtcost/store.h"

typedef struct dtc_license_rules {
    bool infra_cap; /* Infrastructure host units capped at 1.0 per host (default true) */
    bool visits_include_replays; /* `visits` already counts replay sessions (default false) */
    int64_t min_active_ms;       /* OS-module activity an hour needs to count (default 300000) */
    int64_t free_properties;     /* user-session properties free per session (default 20) */
} dtc_license_rules;

void dtc_license_rules_default(dtc_license_rules *r);

/* Host units in thousandths for a host of `bytes` RAM (<= 0: none). */
int64_t dtc_hu_fullstack_milli(int64_t bytes);
int64_t dtc_hu_infra_milli(int64_t bytes, bool cap);

/* Milliseconds covered by the union of intervals [start[i], end[i]) clipped
 * to [from, to); sorts the arrays in place. */
int64_t dtc_active_ms(int64_t *start, int64_t *end, size_t n, int64_t from, int64_t to);

#define DTC_LIC_NPOOLS 6
extern const char
    *const dtc_lic_pools[DTC_LIC_NPOOLS]; /* Metrics, Log, Events, Traces, Serverless, Other */

/* One environment in one hour file. */
typedef struct dtc_lic_env {
    char environment[64];
    int64_t fullstack_mhu, infra_mhu, paas_mhu;                   /* milli host-unit hours */
    int64_t hosts_fullstack, hosts_infra, hosts_paas, hosts_idle; /* idle: under min_active_ms */
    int64_t dem_centi;                                            /* DEM units x 100 */
    int64_t visits, mobile_sessions, replays, mobile_replays, properties;
    int64_t synthetic_browser, synthetic_http, synthetic_other; /* executions */
    int64_t log_upload_bytes, log_storage_bytes, custom_metrics;
    int64_t ddu_micro[DTC_LIC_NPOOLS];
    bool trial;
} dtc_lic_env;

/* One host in one hour (`--detail hosts`). */
typedef struct dtc_lic_host {
    size_t env;     /* index into dtc_lic_doc.envs */
    int64_t osi_id; /* exactly as exported: signed 64-bit */
    char mode;      /* 'F' Full-Stack, 'I' Infrastructure, 'P' application-only */
    int64_t memory_bytes, active_ms, mhu; /* mhu 0 when the hour does not count */
} dtc_lic_host;

/* One ConsumptionExport document. */
typedef struct dtc_lic_doc {
    char cluster[64];
    int64_t from_ms, to_ms; /* timeFrameStart, timeFrameEnd */
    dtc_lic_env *envs;
    size_t nenvs, envcap;
    dtc_lic_host *hosts; /* only when asked for */
    size_t nhosts, hostcap;
} dtc_lic_doc;

/* A streaming parser for one document: feed it the JSON in pieces of any
 * size, then finish. DTC_EPARSE with a one-line reason (dtc_lic_parser_errmsg)
 * for: nesting deeper than the schema (12) or a string or number longer than
 * 4 MiB, found on the raw bytes before tokenizing; a figure read that is not
 * an integer within int64, negative, or summing (or its DEM units) past
 * int64; a time outside 1970..9999 or neither epoch ms nor ISO 8601; a key
 * twice in one object or an environment twice in the hour; an id that is not
 * UTF-8 without control characters, or longer than 63 bytes; broken JSON.
 * Strings are read with their escapes decoded. Both entry points below take
 * any bytes from memory, so a fuzzer can drive them directly; they apply the
 * same rules and give the same refusal, word for word. */
typedef struct dtc_lic_parser dtc_lic_parser;
int dtc_lic_parser_new(dtc_lic_parser **out, const dtc_license_rules *rules,
                       bool hosts) DTC_MUST_CHECK;
void dtc_lic_parser_free(dtc_lic_parser *p);
/* Start a new document (the parser is reusable). */
void dtc_lic_parser_reset(dtc_lic_parser *p);
int dtc_lic_parser_feed(dtc_lic_parser *p, const void *data, size_t len) DTC_MUST_CHECK;
/* Finish: the document is valid until the next reset. */
int dtc_lic_parser_finish(dtc_lic_parser *p, const dtc_lic_doc **doc) DTC_MUST_CHECK;
const char *dtc_lic_parser_errmsg(const dtc_lic_parser *p);
/* A whole document in memory at once: one pass over the bytes (grammar,
 * nesting and token lengths checked as it goes, no token array), several
 * times faster than streaming; yajl reads it instead when it is not valid
 * JSON, so the error names the fault. The same figures and refusals as
 * feed/finish; *doc as from finish. The fuzzing entry point for the
 * whole-buffer path. */
int dtc_lic_parser_parse(dtc_lic_parser *p, const dtc_lic_doc **doc, const char *data,
                         size_t len) DTC_MUST_CHECK;

/* The [license] section of the config: rule switches, the cluster, and an
 * optional price list for classic contracts (micro-units per host-unit hour,
 * DEM unit and DDU; -1 where none is given; application-only hosts at the
 * Full-Stack price unless priced themselves). Filled by dtc_config_file_load
 * with its license member pointing here. */
typedef struct dtc_license_config {
    dtc_license_rules rules;
    char currency[8];
    int64_t price_fullstack, price_infra, price_paas, price_dem, price_ddu;
    char *cluster_url, *token_file;
} dtc_license_config;

void dtc_license_config_dispose(dtc_license_config *c);
bool dtc_license_config_priced(const dtc_license_config *c);

/* ---- import ---- */

typedef struct dtc_lic_import_opts {
    dtc_license_rules rules;
    bool hosts;         /* keep per-host-hour detail */
    int threads;        /* parsing threads (0: the number of CPUs, at most 8) */
    uint64_t entry_cap; /* largest JSON entry after inflating (default 512 MiB) */
    const char
        *tmpdir; /* for an inner archive taken out of the outer one (default $TMPDIR or /tmp) */
} dtc_lic_import_opts;

typedef struct dtc_lic_import_stats {
    long files, documents, env_hours, host_hours, provenance;
    long inserted, updated, unchanged;
    long removed; /* child rows (DDU pools, hosts) a restated hour no longer has */
    uint64_t json_bytes;
    char err[512];
} dtc_lic_import_stats;

/* Import FILE (outer ZIP, inner ZIP or one JSON file) or DIR (its *.json,
 * *.zip, signature and log files) into the store as one transaction: on
 * any error nothing is written. st is the handle and the output (first):
 * its counts, and on failure st->err naming the file and the entry (a
 * database error's message copied from the store). */
int dtc_lic_import(dtc_lic_import_stats *st, dtc_store *s, const char *path,
                   const dtc_lic_import_opts *o) DTC_MUST_CHECK;

/* ---- fetch ---- */

typedef struct dtc_lic_fetch_opts {
    const char *cluster_url; /* https://cluster.example.com (no trailing path) */
    const char *token;       /* Api-Token with ServiceProviderAPI */
    int64_t from_ms, to_ms;  /* hour-aligned by the caller or floored/raised here */
    int chunk_hours;         /* hours per export request (default 24 x 7) */
    const char *out_dir;     /* where chunk archives are kept (resume) */
    long wait_total_s;       /* longest total wait for 429s (default 900, at most 30 days) */
    long wait_base_ms;       /* first wait after a 429 (default 2000; doubles to 60 s) */
    uint64_t archive_cap;    /* largest archive accepted (default 4 GiB) */
} dtc_lic_fetch_opts;

typedef struct dtc_lic_fetch_stats {
    long chunks, downloaded, reused, requests, busy_waits;
    uint64_t bytes;
    char **files; /* the chunk archives in time order (dtc_lic_fetch_stats_dispose) */
    size_t nfiles;
    char err[512];
} dtc_lic_fetch_stats;

/* Download the range chunk by chunk into out_dir, streaming each archive to
 * a temporary file renamed into place when complete; a chunk already on disk
 * is not fetched again. 422 (a DPS cluster): DTC_EINVAL pointing to `dtcost
 * sync`; 400: DTC_EINVAL naming the range; 401/403: DTC_EAUTH; 429 waits and
 * retries until wait_total_s: DTC_ERETRY. st is the handle and the output
 * (first): its counts and files, and on failure st->err. */
int dtc_lic_fetch(dtc_lic_fetch_stats *st, const dtc_lic_fetch_opts *o) DTC_MUST_CHECK;
void dtc_lic_fetch_stats_dispose(dtc_lic_fetch_stats *st);

/* ---- reading back (dtcost report) ---- */

/* Units of one cluster and environment over one day (or, in totals, over
 * the whole range: day -1), and their money at the config's prices. */
typedef struct dtc_lic_day {
    char cluster[64], environment[64];
    int64_t day;
    int64_t fullstack_mhu, infra_mhu, paas_mhu, dem_centi, ddu_micro;
    int64_t money; /* micro-units of the price list's currency; 0 when nothing is priced */
} dtc_lic_day;

typedef struct dtc_lic_summary {
    int64_t from, to;  /* the days covered, inclusive; -1 when there is no license data at all */
    dtc_lic_day *days; /* per cluster, environment and day, in that order */
    size_t ndays;
    dtc_lic_day *envs; /* per cluster and environment over the range, in that order */
    size_t nenvs;
    dtc_lic_day total;
    bool priced;       /* the config has at least one price */
    char unpriced[96]; /* the price keys missing for units that occur, space-separated */
} dtc_lic_summary;

/* Money of a row: each unit times its price, rounded half up to the
 * micro-unit separately, units without a price left out. Totals are sums of
 * the rows' money, so every total reconciles with its rows exactly. */
int64_t dtc_lic_money(const dtc_license_config *c, const dtc_lic_day *d);

/* to += d, unit by unit and money. */
void dtc_lic_day_add(dtc_lic_day *to, const dtc_lic_day *d);

/* Into *out (dispose with dtc_lic_summary_dispose), the window of `window`
 * days ending at `until` (days since the epoch; -1: the last day with
 * license data) from the store's lic_env_hour and lic_ddu_hour, priced by c.
 * DTC_EDB with the message on the store. */
int dtc_lic_summarize(dtc_store *s, dtc_lic_summary *out, const dtc_license_config *c,
                      int64_t until, int window) DTC_MUST_CHECK;
void dtc_lic_summary_dispose(dtc_lic_summary *x);

#endif
