/* cmd_export.c: `dtcost export`: CSV, JSON Lines or FOCUS to a file or
 * stdout; FOCUS 1.3/1.4 with the ContractCommitment dataset and recency
 * metadata beside the file; FILE.gz compressed as it streams. */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dtcost/config.h"
#include "dtcost/export.h"
#include "dtcost/store.h"
#include "opts.h"

static const char *db_path, *format, *out_path, *focus_version, *focus_split, *issuer,
    *account_name, *config_path;
static int64_t from, to;

static const opt export_opts[] = {
    {"format", OPT_CHOICE, &format, "csv|jsonl|focus",
     "csv, JSON Lines, or FOCUS cost and usage CSV (default csv)"},
    {"since|from", OPT_TIME, &from, "DATE", "first day (default: the first in the database)"},
    {"until|to", OPT_TIME, &to, "DATE", "last day, inclusive (default: the last in the database)"},
    {"out", OPT_STR, &out_path, "FILE",
     "write here (atomically: all or nothing) instead of stdout; FILE.gz compresses"},
    {"db", OPT_STR, &db_path, "PATH", OPT_DB_HELP},
    {"focus-version", OPT_STR, &focus_version, "1.2|1.3|1.4",
     "FOCUS version (default: [export] focus_version, else 1.4); 1.3 and 1.4 with --out also write "
     "the ContractCommitment dataset and metadata beside FILE"},
    {"focus-split", OPT_STR, &focus_split, "FIELDS",
     "cost-allocation fields FOCUS rows are split by: costcenter,product (the default; up to "
     "(m+1)(n+1) rows a record), costcenter, product or none ([export] focus_split)"},
    {"billing-account-name", OPT_STR, &account_name, "NAME",
     "FOCUS BillingAccountName (default: [export] billing_account_name, else \"Dynatrace account "
     "UUID\")"},
    {"invoice-issuer", OPT_STR, &issuer, "NAME",
     "FOCUS InvoiceIssuerName, e.g. a reseller (default Dynatrace)"},
    {"config", OPT_STR, &config_path, "FILE",
     "config with [export] and [license] sections; [license] prices add classic license "
     "units to FOCUS (or DTCOST_CONFIG)"},
    {NULL, 0, NULL, NULL, NULL},
};

const cmd_spec export_spec = {
    "export",
    "",
    "Write one row per subscription, environment, capability and day (cost,\n"
    "usage, prices) as CSV, JSON Lines or FOCUS 1.2/1.3/1.4 CSV, streaming:\n"
    "memory does not grow with the row count. FOCUS mapping: docs/focus.md.",
    export_opts,
};

/* ---- gzip as it streams: each chunk one gzip member (RFC 1952 allows a
 * file of several; gzip, zcat, Python and DuckDB read them as one) ---- */

#define GZ_CHUNK (1u << 20)

typedef struct gz {
    FILE *raw;
    struct libdeflate_compressor *c;
    char *in, *outbuf;
    size_t len, outcap;
    bool failed;
} gz;

static int gz_emit(gz *z)
{
    if (z->len == 0) return 0;
    size_t n = libdeflate_gzip_compress(z->c, z->in, z->len, z->outbuf, z->outcap);
    if (n == 0 || fwrite(z->outbuf, 1, n, z->raw) != n) {
        z->failed = true;
        return -1;
    }
    z->len = 0;
    return 0;
}

static ssize_t gz_write(void *cookie, const char *buf, size_t size)
{
    gz *z = cookie;
    for (size_t done = 0; done < size;) {
        size_t n = size - done < GZ_CHUNK - z->len ? size - done : GZ_CHUNK - z->len;
        memcpy(z->in + z->len, buf + done, n);
        z->len += n;
        done += n;
        if (z->len == GZ_CHUNK && gz_emit(z)) return -1;
    }
    return (ssize_t)size;
}

static int gz_close(void *cookie)
{
    gz *z = cookie;
    int rc = gz_emit(z) || z->failed ? -1 : 0;
    if (fclose(z->raw) != 0) rc = -1;
    libdeflate_free_compressor(z->c);
    free(z->in);
    free(z->outbuf);
    free(z);
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* raw compressed as it is written: the returned stream takes it over
 * (closing the stream closes it); NULL with raw untouched when there is
 * no memory. */
static FILE *gz_open(FILE *raw)
{
    gz *z = calloc(1, sizeof(*z));
    if (!z) return NULL;
    z->raw = raw;
    z->c = libdeflate_alloc_compressor(6);
    z->in = malloc(GZ_CHUNK);
    z->outcap = z->c ? libdeflate_gzip_compress_bound(z->c, GZ_CHUNK) : 0;
    z->outbuf = z->outcap ? malloc(z->outcap) : NULL;
    cookie_io_functions_t io = {.write = gz_write, .close = gz_close};
    FILE *f = z->c && z->in && z->outbuf ? fopencookie(z, "w", io) : NULL;
    if (!f) {
        libdeflate_free_compressor(z->c);
        free(z->in);
        free(z->outbuf);
        free(z);
    }
    return f;
}

/* ---- the writing (and compressing) on a thread of its own, so the export
 * formats the next rows meanwhile: blocks of AW_BLOCK bytes go round a ring
 * of AW_BLOCKS; the export fills one while the thread writes the others ---- */

#define AW_BLOCK (1u << 20)
#define AW_BLOCKS 4

typedef struct aw {
    FILE *sink; /* the file, or the gzip stream over it; the thread's alone once started */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *blk[AW_BLOCKS];
    size_t len[AW_BLOCKS];
    unsigned head, tail; /* blocks [tail, head) wait for the thread or are being written */
    bool closing;
    int err; /* errno of the first write that failed; the thread drops what follows */
} aw;

static void *aw_thread(void *arg)
{
    aw *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (a->tail == a->head && !a->closing)
            pthread_cond_wait(&a->cv, &a->mu);
        if (a->tail == a->head) break; /* closing, everything written */
        unsigned i = a->tail % AW_BLOCKS;
        bool failed = a->err != 0;
        pthread_mutex_unlock(&a->mu);
        int e = 0;
        errno = 0;
        if (!failed && fwrite(a->blk[i], 1, a->len[i], a->sink) != a->len[i])
            e = errno ? errno : EIO;
        pthread_mutex_lock(&a->mu);
        if (e && !a->err) a->err = e;
        a->tail++;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* Hand the block being filled to the thread and wait until the next one is
 * free: the thread frees one per write, so the wait ends. -1 (errno set)
 * once a write failed. */
static int aw_submit(aw *a)
{
    pthread_mutex_lock(&a->mu);
    a->head++;
    pthread_cond_broadcast(&a->cv);
    while (a->head - a->tail >= AW_BLOCKS && !a->err)
        pthread_cond_wait(&a->cv, &a->mu);
    int err = a->err;
    pthread_mutex_unlock(&a->mu);
    a->len[a->head % AW_BLOCKS] = 0;
    if (err) errno = err;
    return err ? -1 : 0;
}

static ssize_t aw_write(void *cookie, const char *buf, size_t size)
{
    aw *a = cookie;
    for (size_t done = 0; done < size;) {
        unsigned i = a->head % AW_BLOCKS;
        size_t n = size - done < AW_BLOCK - a->len[i] ? size - done : AW_BLOCK - a->len[i];
        memcpy(a->blk[i] + a->len[i], buf + done, n);
        a->len[i] += n;
        done += n;
        if (a->len[i] == AW_BLOCK && aw_submit(a)) return -1;
    }
    return (ssize_t)size;
}

static void aw_free(aw *a)
{
    for (int i = 0; i < AW_BLOCKS; i++)
        free(a->blk[i]);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

/* The last block out, the thread joined, the sink closed; -1 (errno set)
 * when any write or the close failed. */
static int aw_close(void *cookie)
{
    aw *a = cookie;
    pthread_mutex_lock(&a->mu);
    if (a->len[a->head % AW_BLOCKS]) a->head++;
    a->closing = true;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    int err = a->err;
    errno = 0;
    if (fclose(a->sink) != 0 && !err) err = errno ? errno : EIO;
    aw_free(a);
    if (err) errno = err;
    return err ? -1 : 0;
}

/* sink behind a writer thread: the returned stream takes it over (closing
 * the stream closes it); NULL with sink untouched when there is no memory
 * or no thread. */
static FILE *aw_open(FILE *sink)
{
    aw *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->sink = sink;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    bool ok = true;
    for (int i = 0; i < AW_BLOCKS; i++)
        ok = ok && (a->blk[i] = malloc(AW_BLOCK)) != NULL;
    if (!ok || pthread_create(&a->thread, NULL, aw_thread, a) != 0) {
        aw_free(a);
        return NULL;
    }
    cookie_io_functions_t io = {.write = aw_write, .close = aw_close};
    FILE *f = fopencookie(a, "w", io);
    if (!f) { /* the thread has nothing to write: it ends */
        pthread_mutex_lock(&a->mu);
        a->closing = true;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
        aw_free(a);
        return NULL;
    }
    return f;
}

/* One output file: written to a temporary name beside it, renamed at the end. */
typedef struct outfile {
    char path[4096], tmp[4200];
    FILE *f;
    int err; /* errno of a failed write or close */
} outfile;

static int out_open(outfile *o, const char *path)
{
    snprintf(o->path, sizeof(o->path), "%s", path);
    snprintf(o->tmp, sizeof(o->tmp), "%s.tmp.%d", path, (int)getpid());
    FILE *raw = fopen(o->tmp, "w");
    if (!raw) {
        fprintf(stderr,
                "dtcost export: cannot write %s: %s (check the directory exists and is writable)\n",
                o->tmp, strerror(errno));
        return DTC_EIO;
    }
    o->f = raw;
    if (ends_with(path, ".gz") && !(o->f = gz_open(raw))) {
        fclose(raw);
        unlink(o->tmp);
        fprintf(stderr, "dtcost export: out of memory setting up compression for %s\n", path);
        return DTC_ENOMEM;
    }
    FILE *w = aw_open(o->f);
    if (!w) {
        fclose(o->f);
        o->f = NULL;
        unlink(o->tmp);
        fprintf(stderr, "dtcost export: out of memory (or threads) setting up the writer for %s\n",
                path);
        return DTC_ENOMEM;
    }
    o->f = w;
    return 0;
}

/* Close; on success (rc 0) move into place, else remove what was written. */
static int out_close(outfile *o, int rc)
{
    if (!o->f) return rc;
    errno = 0;
    if (fclose(o->f) != 0 && rc == 0) {
        rc = DTC_EIO;
        o->err = errno;
    }
    o->f = NULL;
    if (rc) unlink(o->tmp);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    db_path = format = out_path = focus_version = focus_split = issuer = account_name =
        config_path = NULL;
    from = to = 0;
    int npos = 0;
    int code = opt_parse(&export_spec, argc, argv, &npos);
    if (code >= 0) return code;
    if (npos > 0) return opt_usage_error(&export_spec, "unexpected argument '%s'", argv[1]);
    dtc_export_config cfg = {0};
    dtc_license_config lc;
    /* [dtcost] database, [export], and [license] for classic license units */
    dtc_config_file file = {.export = &cfg, .license = &lc};
    int rc = dtc_config_file_load(&file, config_path);
    if (rc) {
        fprintf(stderr, "dtcost export: %s\n", file.err);
        dtc_license_config_dispose(&lc);
        dtc_export_config_dispose(&cfg);
        dtc_config_file_dispose(&file);
        return opt_exit_for(rc);
    }
    dtc_export_opts o = {.from = from ? from / 86400 : -1,
                         .to = to ? to / 86400 : -1,
                         .focus_minor = cfg.focus_minor ? cfg.focus_minor : DTC_FOCUS_NEWEST,
                         .invoice_issuer = issuer ? issuer : cfg.invoice_issuer,
                         .billing_account_name =
                             account_name ? account_name : cfg.billing_account_name,
                         .focus_split = cfg.focus_split,
                         .license = &lc};
    code = -1;
    if (!format || strcmp(format, "csv") == 0)
        o.format = DTC_EXPORT_CSV;
    else if (strcmp(format, "jsonl") == 0)
        o.format = DTC_EXPORT_JSONL;
    else if (strcmp(format, "focus") == 0)
        o.format = DTC_EXPORT_FOCUS;
    else
        code =
            opt_usage_error(&export_spec, "--format takes csv, jsonl or focus, not '%s'", format);
    if (code < 0 && focus_version && (o.focus_minor = dtc_export_focus_minor(focus_version)) < 0)
        code = opt_usage_error(&export_spec, "--focus-version takes 1.2, 1.3 or 1.4, not '%s'",
                               focus_version);
    if (code < 0 && focus_split && (o.focus_split = dtc_export_focus_split(focus_split)) < 0)
        code = opt_usage_error(&export_spec,
                               "--focus-split takes costcenter,product, costcenter, product or "
                               "none, not '%s'",
                               focus_split);
    if (code < 0 && o.from >= 0 && o.to >= 0 && o.to < o.from)
        code = opt_usage_error(&export_spec, "--until is before --since");
    if (code >= 0) {
        dtc_license_config_dispose(&lc);
        dtc_export_config_dispose(&cfg);
        dtc_config_file_dispose(&file);
        return code;
    }

    /* FOCUS 1.3/1.4 to a file: the ContractCommitment dataset and the
     * metadata go beside it (FILE without .csv[.gz], plus a suffix). */
    bool beside = o.format == DTC_EXPORT_FOCUS && o.focus_minor >= 3 && out_path;
    char base[4096] = "", cc_path[4200] = "", meta_path[4200] = "";
    if (beside) {
        snprintf(base, sizeof(base), "%s", out_path);
        const char *gzs = ends_with(base, ".gz") ? ".gz" : "";
        if (*gzs) base[strlen(base) - 3] = '\0';
        if (ends_with(base, ".csv")) base[strlen(base) - 4] = '\0';
        snprintf(cc_path, sizeof(cc_path), "%s.contract-commitment.csv%s", base, gzs);
        snprintf(meta_path, sizeof(meta_path), "%s.metadata.json", base);
    }
    dtc_store *db = NULL;
    char err[512];
    outfile main_out = {0}, cc_out = {0}, meta_out = {0};
    db_path = dtc_config_db_path(db_path, &file);
    if ((rc = dtc_config_db_require(db_path, err, sizeof(err))) == 0)
        rc = dtc_store_open(&db, db_path, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "dtcost export: %s\n", err);
        dtc_license_config_dispose(&lc);
        dtc_export_config_dispose(&cfg);
        dtc_config_file_dispose(&file);
        return rc == DTC_ENOTFOUND ? DTC_EXIT_NOINPUT : opt_exit_for(rc);
    }
    FILE *out = stdout;
    if (out_path && (rc = out_open(&main_out, out_path)) == 0) out = main_out.f;
    if (rc == 0 && beside && (rc = out_open(&cc_out, cc_path)) == 0)
        rc = out_open(&meta_out, meta_path);
    bool opened = rc == 0; /* else out_open said why, in its one line */
    dtc_export_stats st = {0};
    long commitments = 0;
    if (rc == 0) rc = dtc_export_write(db, out, &st, &o);
    if (rc == 0 && beside) rc = dtc_export_commitments(db, cc_out.f, &commitments, &o);
    if (rc == 0 && beside) rc = dtc_export_metadata(db, meta_out.f, &o, out_path, cc_path);
    int io_errno = opened ? errno : 0;
    rc = out_close(&main_out, rc);
    rc = out_close(&cc_out, rc);
    rc = out_close(&meta_out, rc);
    for (outfile *f = &main_out; f; f = f == &main_out ? &cc_out : f == &cc_out ? &meta_out : NULL)
        if (f->err) { /* a write the writer thread found failing, or the close */
            io_errno = f->err;
            break;
        }
    /* All files or none: the renames come after every file closed well. */
    outfile *all[] = {&cc_out, &meta_out, &main_out};
    for (size_t i = 0; i < 3; i++) {
        if (!all[i]->tmp[0]) continue;
        if (rc == 0 && rename(all[i]->tmp, all[i]->path) != 0) {
            fprintf(stderr, "dtcost export: cannot move the file into %s: %s\n", all[i]->path,
                    strerror(errno));
            rc = DTC_EIO;
            io_errno = 0;
        }
        if (rc) unlink(all[i]->tmp);
    }
    if (rc == DTC_EIO && io_errno)
        fprintf(stderr, "dtcost export: writing %s failed: %s\n", out_path ? out_path : "stdout",
                strerror(io_errno));
    else if (rc == DTC_EINVAL)
        fprintf(stderr,
                "dtcost export: FOCUS version 1.%d is not one dtcost writes (1.2, 1.3, 1.4)\n",
                o.focus_minor);
    else if (rc && rc != DTC_EIO)
        fprintf(stderr, "dtcost export: %s\n", st.err[0] ? st.err : dtc_store_errmsg(db));
    else if (rc == 0 && out_path)
        fprintf(stderr, "dtcost export: %ld rows (%ld corrections) to %s%s%s\n", st.rows,
                st.corrections, out_path,
                beside ? "; ContractCommitment and metadata beside it" : "",
                o.format == DTC_EXPORT_FOCUS && o.focus_minor >= 3 && !out_path ? "" : "");
    if (rc == 0 && st.warning[0]) fprintf(stderr, "dtcost export: warning: %s\n", st.warning);
    if (rc == 0 && o.format == DTC_EXPORT_FOCUS && o.focus_minor >= 3 && !out_path)
        fprintf(stderr,
                "dtcost export: the ContractCommitment dataset and metadata need --out FILE\n");
    dtc_store_close(db);
    dtc_license_config_dispose(&lc);
    dtc_export_config_dispose(&cfg);
    dtc_config_file_dispose(&file);
    return opt_exit_for(rc);
}
