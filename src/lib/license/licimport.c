/* licimport.c: `dtcost license import`: an outer export ZIP, a bare inner
 * ZIP, one JSON file or a directory of them, into the store as one
 * transaction. Hour files are inflated and parsed by a few threads, a batch
 * at a time (a large one in pieces, never whole in memory); the main thread
 * writes each batch in entry order. An archive of more entries than libzip
 * should hold is walked one directory record at a time (minizip) instead.
 * Hostile archives are refused with the file and entry named: names that
 * climb out (../) or are absolute, entries inflating past the cap or far
 * beyond their compressed size, broken ZIPs and JSON. Entry names are never
 * used as paths: an inner archive goes to an anonymous temporary file. */
#define _GNU_SOURCE /* O_TMPFILE */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>
#include <minizip/unzip.h>

#include "alloc.h"
#include "dtcost/license.h"
#include "timeutil.h"

#define CHUNK (256 * 1024)
#define BATCH 64
#define MAX_THREADS 8
#define BOMB_RATIO 200 /* inflated / compressed beyond which an entry is a bomb (JSON: ~15) */
#define BOMB_FLOOR (16ULL << 20)
#define SIDE_CAP (64ULL << 20) /* signature, log and other side files */
/* Entries one archive may declare: a chunk of a month holds ~750 hour files.
 * libzip keeps ~315 bytes per entry per open handle (63 MB for 200,000
 * entries, measured), and each reading thread opens its own: up to this
 * many entries an archive is read by libzip on parallel threads. */
#define MAX_ENTRIES 20000
/* Beyond MAX_ENTRIES and up to this, the central directory is walked one
 * record at a time with minizip (constant memory), entries read in turn on
 * one thread (walk_zip). More is refused from the end record. */
#define MAX_WALKED 1000000
/* Entries up to this size are inflated in one call by libdeflate (about
 * twice zlib's speed) and parsed whole by the one-pass scanner (several
 * times yajl's speed); see docs/performance.md. Larger ones stream through
 * zlib and yajl. */
#define ONESHOT_MAX (16ULL << 20)

typedef struct worker_bufs {
    struct libdeflate_decompressor *dec;
    unsigned char *in, *out;
    size_t incap, outcap;
} worker_bufs;

typedef struct item {
    zip_int64_t index; /* entry in the archive, or -1 for a file */
    const char *path;  /* the file, for a directory item */
    const char *name;  /* for messages and provenance: the archive's own copy (open until the items
                        * are  done) or the file's base name */
    uint64_t comp, size; /* sizes as declared by the archive (size: the file's, for a file) */
    uint32_t crc;
    bool deflated; /* method deflate with size and CRC known: the one-shot path */
} item;

typedef struct result {
    int rc;
    char err[384];
    char cluster[64];
    int64_t from_ms;
    uint64_t bytes;
    dtc_lic_env *envs;
    size_t nenvs, envcap;
    dtc_lic_host *hosts;
    size_t nhosts, hostcap;
} result;

typedef struct job {
    const dtc_lic_import_opts *o;
    const char *archive;  /* display name */
    const char *zip_path; /* for workers to open, or NULL for files */
    item *items;
    size_t nitems;
    result *res;      /* a window of BATCH results: item i in res[i % BATCH] */
    bool done[BATCH]; /* res[k] holds a parsed item not yet written */
    size_t next;      /* next item to take */
    size_t written;   /* items the main thread has written */
    bool stop;        /* an error: workers take nothing more */
    pthread_mutex_t mu;
    pthread_cond_t work, ready;
} job;

typedef struct imp {
    dtc_store *s;
    const dtc_lic_import_opts *o;
    dtc_lic_import_stats *st;
    char now[24];
    char archive_hash[72];
    const char *archive;
    result res[BATCH];
    int depth;  /* archives inside archives */
    char *keep; /* the osiIds just written for one env-hour, as a JSON array */
    size_t keep_len, keep_cap;
} imp;

static void hex(char *dst, const unsigned char *md, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        sprintf(dst + 2 * i, "%02x", md[i]);
}

static int open_regular(const char *path, uint64_t *size);

static int file_sha256(const char *path, char out[72])
{
    uint64_t size;
    int fd = open_regular(path, &size);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        return -1;
    }
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    size_t r;
    int rc = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) ? 0 : -1;
    while (rc == 0 && (r = fread(buf, 1, sizeof(buf), f)) > 0)
        if (!EVP_DigestUpdate(c, buf, r)) rc = -1;
    if (rc == 0 && (ferror(f) || !EVP_DigestFinal_ex(c, md, &n))) rc = -1;
    if (rc == 0) hex(out, md, n);
    EVP_MD_CTX_free(c);
    fclose(f);
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* A name that would land outside a folder it was extracted to. */
static bool unsafe_name(const char *n)
{
    if (n[0] == '/' || n[0] == '\\' || (n[0] && n[1] == ':')) return true;
    for (const char *p = n; *p; p++)
        if (p[0] == '.' && p[1] == '.' && (p == n || p[-1] == '/' || p[-1] == '\\') &&
            (p[2] == '/' || p[2] == '\\' || p[2] == '\0'))
            return true;
    return false;
}

#define NOT_REGULAR                                                                                \
    "not a regular file (a FIFO, device or socket); give an export ZIP, an hour's JSON or a "      \
    "folder"

/* Open a file for reading only when it is a regular file, without blocking
 * on a FIFO or device first: O_NONBLOCK, then fstat, then the reads. The fd,
 * or -1 (errno) or -2 (not a regular file). */
static int open_regular(const char *path, uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return -2;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    *size = (uint64_t)sb.st_size;
    return fd;
}

/* ---- workers ---- */

static int keep_doc(result *r, const dtc_lic_doc *d, bool hosts)
{
    snprintf(r->cluster, sizeof(r->cluster), "%s", d->cluster);
    r->from_ms = d->from_ms;
    if (d->nenvs > r->envcap) {
        dtc_lic_env *g = dtc_realloc(r->envs, d->nenvs * sizeof(*g));
        if (!g) return DTC_ENOMEM;
        r->envs = g;
        r->envcap = d->nenvs;
    }
    if (d->nenvs) memcpy(r->envs, d->envs, d->nenvs * sizeof(*r->envs));
    r->nenvs = d->nenvs;
    r->nhosts = 0;
    if (hosts && d->nhosts) {
        if (d->nhosts > r->hostcap) {
            dtc_lic_host *g = dtc_realloc(r->hosts, d->nhosts * sizeof(*g));
            if (!g) return DTC_ENOMEM;
            r->hosts = g;
            r->hostcap = d->nhosts;
        }
        memcpy(r->hosts, d->hosts, d->nhosts * sizeof(*r->hosts));
        r->nhosts = d->nhosts;
    }
    return 0;
}

/* An entry that inflates (or has inflated so far) to `bytes`: beyond the
 * cap, or, from an archive, beyond BOMB_RATIO x its compressed size. */
static bool refused_size(const job *j, const item *it, uint64_t bytes, bool archived, result *r)
{
    uint64_t cap = j->o->entry_cap ? j->o->entry_cap : (512ULL << 20);
    if (bytes > cap)
        snprintf(r->err, sizeof(r->err),
                 "%s: entry %s: inflates beyond %llu MiB; refused (raise the cap with "
                 "--max-entry-mb if it is genuine)",
                 j->archive, it->name, (unsigned long long)(cap >> 20));
    else if (archived && bytes > BOMB_FLOOR && bytes / BOMB_RATIO > it->comp)
        snprintf(r->err, sizeof(r->err),
                 "%s: entry %s: inflates more than %dx its compressed size: refused as "
                 "a zip bomb",
                 j->archive, it->name, BOMB_RATIO);
    else
        return false;
    r->rc = DTC_EZIP;
    return true;
}

/* The parser's verdict on a whole document: kept in r, or its error. */
static void keep_parsed(const job *j, const item *it, const dtc_lic_parser *p, int rc,
                        const dtc_lic_doc *d, result *r)
{
    if (rc == 0) rc = d ? keep_doc(r, d, j->o->hosts) : DTC_EPARSE;
    if (rc) {
        snprintf(r->err, sizeof(r->err), "%s: entry %s: %s", j->archive, it->name,
                 rc == DTC_ENOMEM ? "out of memory" : dtc_lic_parser_errmsg(p));
        r->rc = rc;
    }
}

static void size_mismatch(const job *j, const item *it, bool longer, result *r)
{
    snprintf(r->err, sizeof(r->err),
             "%s: entry %s: cannot be read: %s than its declared %llu bytes (a corrupt or "
             "hostile archive)",
             j->archive, it->name, longer ? "longer" : "shorter", (unsigned long long)it->size);
    r->rc = DTC_EZIP;
}

/* Where an entry's bytes come from: a libzip entry, minizip's current
 * entry (opened by the caller) or a file. */
typedef struct source {
    zip_file_t *zf;
    unzFile uf;
    int fd;
} source;

/* Up to n bytes; 0 at the end, -1 on an error (why says what). */
static long long source_read(const source *src, void *buf, size_t n, const char **why)
{
    long long got;
    if (src->zf) {
        got = (long long)zip_fread(src->zf, buf, n);
        if (got < 0) *why = zip_file_strerror(src->zf);
    } else if (src->uf) {
        got = unzReadCurrentFile(src->uf, buf, (unsigned)n);
        if (got < 0) *why = got == UNZ_CRCERROR ? "CRC mismatch" : "bad deflate data";
    } else {
        while ((got = (long long)read(src->fd, buf, n)) < 0 && errno == EINTR)
            ;
        if (got < 0) *why = strerror(errno);
    }
    return got < 0 ? -1 : got;
}

/* Read one item through the parser from src. The declared size is checked
 * before the first byte (cap, bomb ratio) and the actual size against it as
 * the bytes come: inflating stops at the first byte past the declaration. */
static void parse_item(const job *j, const item *it, const source *src, dtc_lic_parser *p,
                       char *buf, result *r)
{
    dtc_lic_parser_reset(p);
    r->bytes = 0;
    if (refused_size(j, it, it->size, src->zf || src->uf, r)) return;
    for (;;) {
        const char *why = "";
        long long n = source_read(src, buf, CHUNK, &why);
        if (n < 0) {
            snprintf(r->err, sizeof(r->err),
                     "%s: entry %s: cannot be read: %s (a truncated or corrupt archive)",
                     j->archive, it->name, why);
            r->rc = DTC_EZIP;
            return;
        }
        if (n == 0) break;
        r->bytes += (uint64_t)n;
        if (r->bytes > it->size) return size_mismatch(j, it, true, r);
        int rc = dtc_lic_parser_feed(p, buf, (size_t)n);
        if (rc) {
            snprintf(r->err, sizeof(r->err), "%s: entry %s: %s", j->archive, it->name,
                     dtc_lic_parser_errmsg(p));
            r->rc = rc;
            return;
        }
    }
    if (r->bytes != it->size) return size_mismatch(j, it, false, r);
    const dtc_lic_doc *d = NULL;
    int rc = dtc_lic_parser_finish(p, &d);
    keep_parsed(j, it, p, rc, d, r);
}

static bool grow_to(unsigned char **buf, size_t *cap, size_t need)
{
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 1 << 20;
    while (c < need)
        c *= 2;
    unsigned char *g = dtc_realloc(*buf, c);
    if (!g) return false;
    *buf = g;
    *cap = c;
    return true;
}

/* The raw deflate stream read whole (from libzip's za, or minizip's uf
 * positioned on the entry), inflated in one call into a buffer of the
 * declared size, its CRC checked, then parsed in one piece. */
static void parse_oneshot(const job *j, const item *it, zip_t *za, unzFile uf, dtc_lic_parser *p,
                          worker_bufs *wb, result *r)
{
    r->bytes = 0;
    if (refused_size(j, it, it->size, true, r)) return;
    if (!grow_to(&wb->in, &wb->incap, it->comp + 1) ||
        !grow_to(&wb->out, &wb->outcap, it->size + 1)) {
        snprintf(r->err, sizeof(r->err), "%s: entry %s: out of memory", j->archive, it->name);
        r->rc = DTC_ENOMEM;
        return;
    }
    zip_int64_t got = -1;
    if (za) {
        zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)it->index, ZIP_FL_COMPRESSED);
        got = zf ? zip_fread(zf, wb->in, it->comp) : -1;
        if (zf) zip_fclose(zf);
    } else {
        int method = 0, level = 0;
        if (unzOpenCurrentFile2(uf, &method, &level, 1) == UNZ_OK) {
            got = 0;
            for (int n; got < (zip_int64_t)it->comp; got += n)
                if ((n = unzReadCurrentFile(uf, wb->in + got,
                                            (unsigned)(it->comp - (uint64_t)got))) <= 0)
                    break;
            unzCloseCurrentFile(uf);
        }
    }
    size_t out = 0;
    enum libdeflate_result lr = LIBDEFLATE_BAD_DATA;
    if (got == (zip_int64_t)it->comp)
        lr = libdeflate_deflate_decompress(wb->dec, wb->in, it->comp, wb->out, it->size, &out);
    if (lr != LIBDEFLATE_SUCCESS || out != it->size ||
        libdeflate_crc32(0, wb->out, out) != it->crc) {
        snprintf(r->err, sizeof(r->err),
                 "%s: entry %s: cannot be read: %s (a truncated or corrupt archive)", j->archive,
                 it->name,
                 got != (zip_int64_t)it->comp          ? "short read"
                 : lr == LIBDEFLATE_INSUFFICIENT_SPACE ? "inflates beyond its declared size"
                 : lr != LIBDEFLATE_SUCCESS            ? "bad deflate data"
                 : out != it->size                     ? "shorter than declared"
                                                       : "CRC mismatch");
        r->rc = DTC_EZIP;
        return;
    }
    r->bytes = out;
    const dtc_lic_doc *d = NULL;
    int rc = dtc_lic_parser_parse(p, &d, (const char *)wb->out, out);
    keep_parsed(j, it, p, rc, d, r);
}

/* What one thread needs to read items: its own archive handle, parser,
 * stream buffer and one-shot buffers. ok is false when any is missing. */
typedef struct reader {
    dtc_lic_parser *p;
    zip_t *za;
    char *buf;
    worker_bufs wb;
    bool ok;
} reader;

static void reader_open(reader *rd, const job *j)
{
    int err = 0;
    memset(rd, 0, sizeof(*rd));
    rd->buf = dtc_malloc(CHUNK);
    rd->wb.dec = libdeflate_alloc_decompressor();
    rd->ok = rd->buf && rd->wb.dec && dtc_lic_parser_new(&rd->p, &j->o->rules, j->o->hosts) == 0;
    if (rd->ok && j->zip_path && !(rd->za = zip_open(j->zip_path, ZIP_RDONLY, &err)))
        rd->ok = false;
}

static void reader_close(reader *rd)
{
    if (rd->za) zip_discard(rd->za);
    dtc_lic_parser_free(rd->p);
    dtc_free(rd->buf);
    if (rd->wb.dec) libdeflate_free_decompressor(rd->wb.dec);
    dtc_free(rd->wb.in);
    dtc_free(rd->wb.out);
}

/* One item into its result slot. */
static void do_item(const job *j, const item *it, reader *rd, result *r)
{
    zip_t *za = rd->za;
    r->rc = 0;
    r->err[0] = '\0';
    if (!rd->ok) {
        r->rc = DTC_ENOMEM;
        snprintf(r->err, sizeof(r->err), "%s: cannot open it again for reading", j->archive);
    } else if (za && it->deflated && it->size <= ONESHOT_MAX &&
               it->comp <= ONESHOT_MAX + (1 << 20)) {
        parse_oneshot(j, it, za, NULL, rd->p, &rd->wb, r);
    } else if (za) {
        zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)it->index, 0);
        if (!zf) {
            r->rc = DTC_EZIP;
            snprintf(r->err, sizeof(r->err), "%s: entry %s: %s", j->archive, it->name,
                     zip_strerror(za));
            return;
        }
        source src = {.zf = zf, .fd = -1};
        parse_item(j, it, &src, rd->p, rd->buf, r);
        zip_fclose(zf);
    } else {
        uint64_t size;
        int fd = open_regular(it->path, &size);
        if (fd < 0) {
            r->rc = fd == -2 ? DTC_EZIP : DTC_EIO;
            snprintf(r->err, sizeof(r->err), "%s: %s", it->path,
                     fd == -2 ? NOT_REGULAR : strerror(errno));
            return;
        }
        item now = *it;
        now.size = size; /* as it is now: a file that grows while read is refused */
        source src = {.fd = fd};
        parse_item(j, &now, &src, rd->p, rd->buf, r);
        close(fd);
    }
}

static void *worker(void *ud)
{
    job *j = ud;
    reader rd;
    reader_open(&rd, j);
    for (;;) {
        /* Stay at most a window ahead of the writer: memory stays flat. */
        pthread_mutex_lock(&j->mu);
        while (!j->stop && j->next < j->nitems && j->next >= j->written + BATCH)
            pthread_cond_wait(&j->work, &j->mu);
        size_t i = j->next;
        bool quit = j->stop || i >= j->nitems;
        if (!quit) j->next++;
        pthread_mutex_unlock(&j->mu);
        if (quit) break;
        do_item(j, &j->items[i], &rd, &j->res[i % BATCH]);
        pthread_mutex_lock(&j->mu);
        j->done[i % BATCH] = true;
        pthread_cond_broadcast(&j->ready);
        pthread_mutex_unlock(&j->mu);
    }
    reader_close(&rd);
    return NULL;
}

static int nthreads(const dtc_lic_import_opts *o)
{
    long n = o->threads > 0 ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

/* ---- writing ---- */

static int put(imp *x, dtc_fact f, const dtc_val *k, const dtc_val *v)
{
    dtc_put r;
    int rc = dtc_store_put(x->s, &r, f, k, v, NULL);
    if (rc == 0)
        (*(r == DTC_PUT_INSERTED  ? &x->st->inserted
           : r == DTC_PUT_UPDATED ? &x->st->updated
                                  : &x->st->unchanged))++;
    return rc;
}

/* After an env-hour's children are put: delete those of its children the
 * new data no longer has (a restated hour), so they sum to the parent. */
static int prune(imp *x, dtc_fact f, const char *cluster, const char *env, const char *hour,
                 const char *keep)
{
    dtc_val k[] = {DTC_TEXT(cluster), DTC_TEXT(env), DTC_TEXT(hour)};
    long removed = 0;
    int rc = dtc_store_prune(x->s, &removed, f, k, keep);
    x->st->removed += removed;
    return rc;
}

static const char *env_name(const dtc_lic_env *e)
{
    return e->environment[0] ? e->environment : "unknown-environment";
}

static int keep_add(imp *x, const char *s, size_t n);

static int write_result(imp *x, const result *r, const item *it)
{
    (void)it;
    if (r->from_ms < 0) {
        /* No timeFrameStart and no activity: nothing says which hour it is. */
        x->st->documents++;
        return 0;
    }
    char hour[24];
    int64_t h = r->from_ms - ((r->from_ms % 3600000) + 3600000) % 3600000;
    dtc_fmt_datetime(hour, h / 1000);
    const char *cluster = r->cluster[0] ? r->cluster : "unknown-cluster";
    int rc = 0;
    for (size_t i = 0; i < r->nenvs && rc == 0; i++) {
        const dtc_lic_env *e = &r->envs[i];
        const char *env = env_name(e);
        dtc_val k[] = {DTC_TEXT(cluster), DTC_TEXT(env), DTC_TEXT(hour)};
        dtc_val v[] = {DTC_INT(e->fullstack_mhu),    DTC_INT(e->infra_mhu),
                       DTC_INT(e->paas_mhu),         DTC_INT(e->hosts_fullstack),
                       DTC_INT(e->hosts_infra),      DTC_INT(e->hosts_paas),
                       DTC_INT(e->hosts_idle),       DTC_INT(e->dem_centi),
                       DTC_INT(e->visits),           DTC_INT(e->mobile_sessions),
                       DTC_INT(e->replays),          DTC_INT(e->mobile_replays),
                       DTC_INT(e->properties),       DTC_INT(e->synthetic_browser),
                       DTC_INT(e->synthetic_http),   DTC_INT(e->synthetic_other),
                       DTC_INT(e->log_upload_bytes), DTC_INT(e->log_storage_bytes),
                       DTC_INT(e->custom_metrics),   DTC_INT(e->trial)};
        rc = put(x, DTC_FACT_LIC_ENV_HOUR, k, v);
        char keep[96] = "[";
        for (int pl = 0; rc == 0 && pl < DTC_LIC_NPOOLS; pl++) {
            if (pl == DTC_LIC_NPOOLS - 1 && e->ddu_micro[pl] == 0)
                continue; /* "Other" only when an unknown pool appeared */
            dtc_val kp[] = {DTC_TEXT(cluster), DTC_TEXT(env), DTC_TEXT(hour),
                            DTC_TEXT(dtc_lic_pools[pl])};
            dtc_val vp[] = {DTC_INT(e->ddu_micro[pl])};
            rc = put(x, DTC_FACT_LIC_DDU_HOUR, kp, vp);
            snprintf(keep + strlen(keep), sizeof(keep) - strlen(keep), "%s\"%s\"", pl ? "," : "",
                     dtc_lic_pools[pl]);
        }
        strcat(keep, "]");
        if (rc == 0) rc = prune(x, DTC_FACT_LIC_DDU_HOUR, cluster, env, hour, keep);
        if (rc == 0) x->st->env_hours++;
    }
    /* Hosts come grouped by environment, in the environments' order: each
     * environment's osiIds are the keep list of its prune. */
    size_t k = 0;
    for (size_t i = 0; i < r->nenvs && rc == 0 && x->o->hosts; i++) {
        const char *env = env_name(&r->envs[i]);
        x->keep_len = 0;
        rc = keep_add(x, "[", 1);
        for (; k < r->nhosts && r->hosts[k].env == i && rc == 0; k++) {
            const dtc_lic_host *hh = &r->hosts[k];
            char mode[2] = {hh->mode, '\0'}, id[24];
            dtc_val kh[] = {DTC_TEXT(cluster), DTC_TEXT(env), DTC_TEXT(hour), DTC_INT(hh->osi_id)};
            dtc_val vh[] = {DTC_TEXT(mode), DTC_INT(hh->memory_bytes), DTC_INT(hh->active_ms),
                            DTC_INT(hh->mhu)};
            rc = put(x, DTC_FACT_LIC_HOST_HOUR, kh, vh);
            int n = snprintf(id, sizeof(id), "%s%lld", x->keep_len > 1 ? "," : "",
                             (long long)hh->osi_id);
            if (rc == 0) rc = keep_add(x, id, (size_t)n);
            x->st->host_hours++;
        }
        if (rc == 0) rc = keep_add(x, "]", 2); /* with its terminating NUL */
        if (rc == 0) rc = prune(x, DTC_FACT_LIC_HOST_HOUR, cluster, env, hour, x->keep);
    }
    if (rc == 0 && k != r->nhosts)
        rc = DTC_EINVAL; /* hosts out of environment order: the parser's contract broken */
    if (rc == 0) {
        x->st->documents++;
        x->st->json_bytes += r->bytes;
    }
    return rc;
}

/* keep list text grows by n bytes. */
static int keep_add(imp *x, const char *s, size_t n)
{
    if (x->keep_len + n > x->keep_cap) {
        size_t c = x->keep_cap ? x->keep_cap * 2 : 4096;
        while (c < x->keep_len + n)
            c *= 2;
        char *g = dtc_realloc(x->keep, c);
        if (!g) return DTC_ENOMEM;
        x->keep = g;
        x->keep_cap = c;
    }
    memcpy(x->keep + x->keep_len, s, n);
    x->keep_len += n;
    return 0;
}

/* imported_at is the fact's first-seen value (store.c): importing the same
 * entry again leaves the row as it is. */
static int provenance(imp *x, const char *entry, const char *kind, uint64_t size, const char *sha)
{
    dtc_val k[] = {DTC_TEXT(x->archive_hash), DTC_TEXT(entry)};
    dtc_val v[] = {DTC_TEXT(x->archive), DTC_TEXT(kind), DTC_INT((int64_t)size),
                   sha ? DTC_TEXT(sha) : DTC_NULL, DTC_TEXT(x->now)};
    x->st->provenance++;
    int rc = put(x, DTC_FACT_LIC_FILE, k, v);
    if (rc) /* callers with more to say overwrite it */
        snprintf(x->st->err, sizeof(x->st->err), "%s: entry %s: %s", x->archive, entry,
                 dtc_store_errmsg(x->s));
    return rc;
}

/* Parse items on the worker threads while this thread writes the results
 * in item order, a window of BATCH items at most in between. */
static int run_items(imp *x, const char *archive, const char *zip_path, item *items, size_t n)
{
    if (n == 0) return 0;
    job *j = dtc_calloc(1, sizeof(*j));
    if (!j) return DTC_ENOMEM;
    j->o = x->o;
    j->archive = archive;
    j->zip_path = zip_path;
    j->items = items;
    j->nitems = n;
    j->res = x->res;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->work, NULL);
    pthread_cond_init(&j->ready, NULL);
    int threads = nthreads(x->o), started = 0;
    pthread_t tid[MAX_THREADS];
    for (int t = 0; t < threads && (size_t)t < n; t++)
        if (pthread_create(&tid[started], NULL, worker, j) == 0) started++;
    reader self = {0};
    if (started == 0) reader_open(&self, j);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        result *r = &x->res[i % BATCH];
        pthread_mutex_lock(&j->mu);
        while (!j->done[i % BATCH] && started > 0)
            pthread_cond_wait(&j->ready, &j->mu);
        pthread_mutex_unlock(&j->mu);
        if (started == 0) /* no thread could start: read here */
            do_item(j, &items[i], &self, r);
        if (r->rc) {
            snprintf(x->st->err, sizeof(x->st->err), "%s", r->err);
            rc = r->rc;
        } else if ((rc = write_result(x, r, &items[i])) != 0) {
            snprintf(x->st->err, sizeof(x->st->err), "%s: entry %s: %s", archive, items[i].name,
                     dtc_store_errmsg(x->s));
        }
        pthread_mutex_lock(&j->mu);
        j->done[i % BATCH] = false;
        j->written = i + 1;
        if (rc) j->stop = true;
        pthread_cond_broadcast(&j->work);
        pthread_mutex_unlock(&j->mu);
    }
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    if (started == 0) reader_close(&self);
    pthread_cond_destroy(&j->ready);
    pthread_cond_destroy(&j->work);
    pthread_mutex_destroy(&j->mu);
    dtc_free(j);
    return rc;
}

static const char *side_kind(const char *name)
{
    return ends_with(name, ".signature") || ends_with(name, ".sig") ? "signature"
           : ends_with(name, ".log")                                ? "log"
                                                                    : "other";
}

/* Hash (and size) a side entry: signature, log, anything not JSON or ZIP,
 * read from src (NULL when it could not be opened: why says why). */
static int side_entry(imp *x, const source *src, const char *why, const char *archive,
                      const char *name, uint64_t declared, const char *kind)
{
    if (declared > SIDE_CAP) {
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: entry %s: declares more than %llu MiB for a %s file; refused", archive, name,
                 SIDE_CAP >> 20, kind);
        return DTC_EZIP;
    }
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    unsigned mdn = 0;
    uint64_t size = 0;
    long long n = 0;
    int rc = src && c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) ? 0 : DTC_EZIP;
    while (rc == 0 && (n = source_read(src, buf, sizeof(buf), &why)) > 0) {
        size += (uint64_t)n;
        if (size > SIDE_CAP || size > declared)
            rc = DTC_ETOOBIG;
        else if (!EVP_DigestUpdate(c, buf, (size_t)n))
            rc = DTC_ENOMEM;
    }
    if (rc == 0 && n < 0) rc = DTC_EZIP;
    bool mismatch = rc == DTC_ETOOBIG ? size <= SIDE_CAP
                                      : rc == 0 && declared != UINT64_MAX && size != declared;
    if (mismatch) rc = DTC_EZIP;
    if (rc == 0 && !EVP_DigestFinal_ex(c, md, &mdn)) rc = DTC_ENOMEM;
    char sha[72] = "";
    if (rc == 0) hex(sha, md, mdn);
    if (mismatch)
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: entry %s: cannot be read: %s than its declared %llu bytes (a "
                 "corrupt or hostile archive)",
                 archive, name, size > declared ? "longer" : "shorter",
                 (unsigned long long)declared);
    else if (rc == DTC_ETOOBIG)
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: entry %s: larger than %llu MiB for a %s file; refused", archive, name,
                 SIDE_CAP >> 20, kind);
    else if (rc)
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: entry %s: cannot be read: %s (a truncated or corrupt archive)", archive, name,
                 why);
    EVP_MD_CTX_free(c);
    if (rc == 0 && (rc = provenance(x, name, kind, size, sha)) != 0)
        snprintf(x->st->err, sizeof(x->st->err), "%s: %s", archive, dtc_store_errmsg(x->s));
    if (rc == DTC_ETOOBIG) rc = DTC_EZIP;
    return rc;
}

static int import_zip(imp *x, const char *path, const char *display);
/* An inner archive: copied to an anonymous temporary file (never by its
 * entry name), capped, then imported like any archive. The file has no name
 * (O_TMPFILE, or unlinked as soon as it exists) and is read through
 * /proc/self/fd, so a killed import leaves nothing behind in TMPDIR. */
static int inner_zip(imp *x, zip_t *za, zip_int64_t idx, const char *archive, const char *name,
                     uint64_t comp, uint64_t declared)
{
    const char *dir = x->o->tmpdir                            ? x->o->tmpdir
                      : getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR")
                                                              : "/tmp";
    uint64_t cap = x->o->entry_cap ? x->o->entry_cap : (512ULL << 20), size = 0;
    if (declared > cap || (declared > BOMB_FLOOR && declared / BOMB_RATIO > comp)) {
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: entry %s: declares %llu bytes, beyond %s; refused as a zip "
                 "bomb",
                 archive, name, (unsigned long long)declared,
                 declared > cap ? "the entry cap (--max-entry-mb)" : "200x its compressed size");
        return DTC_EZIP;
    }
    char tmp[4096];
    /* O_TMPFILE: a file that never has a name; where the file system lacks
     * it, a named one unlinked at once. */
    int fd = -1;
#ifdef O_TMPFILE
    fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
#endif
    if (fd < 0) {
        snprintf(tmp, sizeof(tmp), "%s/dtcost-inner-XXXXXX", dir);
        if ((fd = mkstemp(tmp)) >= 0) unlink(tmp);
    }
    if (fd < 0) {
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: entry %s: cannot create a temporary file in %s: %s (set "
                 "TMPDIR)",
                 archive, name, dir, strerror(errno));
        return DTC_EIO;
    }
    snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d", fd);
    zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)idx, 0);
    char *buf = dtc_malloc(CHUNK);
    int rc = buf ? 0 : DTC_ENOMEM; /* not a corrupt archive: dtc_lic_import says so */
    if (rc == 0 && !zf) {
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: entry %s: cannot be read: %s (a truncated or corrupt archive)", archive, name,
                 zip_strerror(za));
        rc = DTC_EZIP;
    }
    zip_int64_t n = 0;
    while (rc == 0 && (n = zip_fread(zf, buf, CHUNK)) > 0) {
        size += (uint64_t)n;
        if (size > declared) {
            snprintf(x->st->err, sizeof(x->st->err),
                     "%s: entry %s: cannot be read: longer than its declared %llu "
                     "bytes (a corrupt or hostile archive)",
                     archive, name, (unsigned long long)declared);
            rc = DTC_EZIP;
        } else if (write(fd, buf, (size_t)n) != n) {
            snprintf(x->st->err, sizeof(x->st->err),
                     "%s: entry %s: writing a temporary file in %s failed: %s", archive, name, dir,
                     strerror(errno));
            rc = DTC_EIO;
        }
    }
    if (rc == 0 && (n < 0 || size != declared)) {
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: entry %s: cannot be read: %s (a truncated or corrupt "
                 "archive)",
                 archive, name,
                 n < 0 ? (zf ? zip_file_strerror(zf) : zip_strerror(za)) : "shorter than declared");
        rc = DTC_EZIP;
    }
    if (zf) zip_fclose(zf);
    dtc_free(buf);
    if (rc == 0 && (rc = provenance(x, name, "zip", size, NULL)) != 0)
        snprintf(x->st->err, sizeof(x->st->err), "%s: %s", archive, dtc_store_errmsg(x->s));
    if (rc == 0) {
        char display[1024];
        snprintf(display, sizeof(display), "%s!%s", archive, name);
        x->depth++;
        rc = import_zip(x, tmp, display);
        x->depth--;
    }
    close(fd);
    return rc;
}

static uint64_t le(const unsigned char *b, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

/* The number of entries an archive declares, read from its end-of-central-
 * directory record (ZIP64's when present) before libzip reads the whole
 * directory. UINT64_MAX when there is no record (libzip then says why). */
static uint64_t declared_entries(const char *path)
{
    uint64_t size, n = UINT64_MAX;
    int fd = open_regular(path, &size);
    if (fd < 0) return n;
    unsigned char b[65536 + 22];
    size_t want = size < sizeof(b) ? (size_t)size : sizeof(b);
    ssize_t got = pread(fd, b, want, (off_t)(size - want));
    for (ssize_t i = got - 22; i >= 0; i--) {
        if (memcmp(b + i, "PK\5\6", 4) != 0) continue;
        n = le(b + i + 10, 2);
        unsigned char z[56];
        /* ZIP64: the locator sits just before the record and points to the
         * ZIP64 record, which holds the 64-bit count. */
        if (n == 0xffff && i >= 20 && memcmp(b + i - 20, "PK\6\7", 4) == 0 &&
            pread(fd, z, sizeof(z), (off_t)le(b + i - 20 + 8, 8)) == (ssize_t)sizeof(z) &&
            memcmp(z, "PK\6\6", 4) == 0)
            n = le(z + 32, 8);
        break;
    }
    close(fd);
    return n;
}

/* One entry of walk_zip, minizip positioned on it: an hour file parsed and
 * written, a side file hashed, anything else refused. */
static int walk_entry(imp *x, const job *j, unzFile uf, reader *rd, const char *name,
                      const unz_file_info64 *fi)
{
    const char *display = j->archive;
    if (fi->flag & 1) {
        snprintf(x->st->err, sizeof(x->st->err), "%s: entry %.300s: encrypted; refused", display,
                 name);
        return DTC_EZIP;
    }
    if (ends_with(name, ".zip")) {
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: entry %.300s: an archive among more than %d entries; license exports hold "
                 "one inner archive beside two side files",
                 display, name, MAX_ENTRIES);
        return DTC_EZIP;
    }
    if (!ends_with(name, ".json")) {
        bool open = unzOpenCurrentFile(uf) == UNZ_OK;
        source src = {.uf = uf, .fd = -1};
        int rc = side_entry(x, open ? &src : NULL, open ? "" : "bad local header", display, name,
                            fi->uncompressed_size, side_kind(name));
        if (open && unzCloseCurrentFile(uf) == UNZ_CRCERROR && rc == 0) {
            snprintf(x->st->err, sizeof(x->st->err),
                     "%s: entry %.300s: cannot be read: CRC mismatch (a truncated or corrupt "
                     "archive)",
                     display, name);
            rc = DTC_EZIP;
        }
        return rc;
    }
    item it = {.index = -1,
               .name = name,
               .comp = fi->compressed_size,
               .size = fi->uncompressed_size,
               .crc = (uint32_t)fi->crc,
               .deflated = fi->compression_method == Z_DEFLATED};
    int rc = provenance(x, name, "json", it.size, NULL);
    if (rc) {
        snprintf(x->st->err, sizeof(x->st->err), "%s: %s", display, dtc_store_errmsg(x->s));
        return rc;
    }
    result *r = &x->res[0];
    r->rc = 0;
    r->err[0] = '\0';
    if (it.deflated && it.size <= ONESHOT_MAX && it.comp <= ONESHOT_MAX + (1 << 20)) {
        parse_oneshot(j, &it, NULL, uf, rd->p, &rd->wb, r);
    } else if (unzOpenCurrentFile(uf) != UNZ_OK) {
        snprintf(r->err, sizeof(r->err),
                 "%s: entry %.300s: cannot be read: bad local header or method (a corrupt archive)",
                 display, name);
        r->rc = DTC_EZIP;
    } else {
        source src = {.uf = uf, .fd = -1};
        parse_item(j, &it, &src, rd->p, rd->buf, r);
        if (unzCloseCurrentFile(uf) == UNZ_CRCERROR && r->rc == 0) {
            snprintf(r->err, sizeof(r->err),
                     "%s: entry %.300s: cannot be read: CRC mismatch (a truncated or corrupt "
                     "archive)",
                     display, name);
            r->rc = DTC_EZIP;
        }
    }
    if (r->rc) {
        snprintf(x->st->err, sizeof(x->st->err), "%s", r->err);
        return r->rc;
    }
    if ((rc = write_result(x, r, &it)) != 0)
        snprintf(x->st->err, sizeof(x->st->err), "%s: entry %.300s: %s", display, name,
                 dtc_store_errmsg(x->s));
    return rc;
}

/* An archive of more entries than libzip should hold (MAX_ENTRIES): its
 * central directory walked one record at a time by minizip, which keeps no
 * directory in memory, and each entry read, parsed and written in turn on
 * this thread. Memory stays flat whatever the count (1.4 MB for minizip at
 * 200,000 entries, measured); the count itself is bounded by MAX_WALKED. */
static int walk_zip(imp *x, const char *path, const char *display)
{
    unzFile uf = unzOpen64(path);
    if (!uf) {
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: not a readable ZIP archive (a truncated download? fetch or copy it again)",
                 display);
        return DTC_EZIP;
    }
    x->st->files++;
    job j = {.o = x->o, .archive = display};
    reader rd;
    reader_open(&rd, &j);
    int rc = rd.ok ? 0 : DTC_ENOMEM, zr = UNZ_OK;
    if (rc) snprintf(x->st->err, sizeof(x->st->err), "%s: out of memory", display);
    long long n = 0;
    for (zr = unzGoToFirstFile(uf); rc == 0 && zr == UNZ_OK; zr = unzGoToNextFile(uf), n++) {
        char name[1024];
        unz_file_info64 fi;
        if (unzGetCurrentFileInfo64(uf, &fi, name, sizeof(name), NULL, 0, NULL, 0) != UNZ_OK ||
            fi.size_filename >= sizeof(name)) {
            snprintf(x->st->err, sizeof(x->st->err),
                     "%s: entry #%lld: unreadable header or a name longer than 1023 bytes", display,
                     n);
            rc = DTC_EZIP;
        } else if (unsafe_name(name)) {
            snprintf(x->st->err, sizeof(x->st->err),
                     "%s: entry %.200s: the name points outside the archive (an "
                     "absolute path or ..); refused",
                     display, name);
            rc = DTC_EZIP;
        } else if (!ends_with(name, "/")) { /* folders are skipped */
            rc = walk_entry(x, &j, uf, &rd, name, &fi);
        }
    }
    if (rc == 0 && zr != UNZ_END_OF_LIST_OF_FILE) {
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: entry #%lld: cannot be read: the central directory is corrupt (a "
                 "truncated download? fetch or copy it again)",
                 display, n);
        rc = DTC_EZIP;
    }
    reader_close(&rd);
    unzClose(uf);
    return rc;
}

static int import_zip(imp *x, const char *path, const char *display)
{
    int err = 0;
    uint64_t declared = declared_entries(path);
    if (declared != UINT64_MAX && declared > MAX_WALKED) {
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: declares %llu entries, more than the %d dtcost reads from one archive "
                 "(a month's export holds ~750); refused (split it into smaller archives)",
                 display, (unsigned long long)declared, MAX_WALKED);
        return DTC_EZIP;
    }
    if (declared != UINT64_MAX && declared > MAX_ENTRIES) return walk_zip(x, path, display);
    zip_t *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        snprintf(x->st->err, sizeof(x->st->err),
                 "%s: not a readable ZIP archive: %s (a truncated download? fetch "
                 "or copy it again)",
                 display, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return DTC_EZIP;
    }
    x->st->files++;
    zip_int64_t n = zip_get_num_entries(za, 0);
    item *items = dtc_calloc(n > 0 ? (size_t)n : 1, sizeof(item));
    size_t ni = 0;
    int rc = items ? 0 : DTC_ENOMEM;
    for (zip_int64_t i = 0; rc == 0 && i < n; i++) {
        zip_stat_t zs;
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &zs) != 0 || !(zs.valid & ZIP_STAT_NAME)) {
            snprintf(x->st->err, sizeof(x->st->err), "%s: entry #%lld: unreadable header", display,
                     (long long)i);
            rc = DTC_EZIP;
            break;
        }
        const char *name = zs.name;
        if (unsafe_name(name)) {
            snprintf(x->st->err, sizeof(x->st->err),
                     "%s: entry %.200s: the name points outside the archive (an "
                     "absolute path or ..); refused",
                     display, name);
            rc = DTC_EZIP;
            break;
        }
        if (ends_with(name, "/")) continue; /* a folder */
        uint64_t comp = zs.valid & ZIP_STAT_COMP_SIZE ? zs.comp_size : 0;
        if (ends_with(name, ".json")) {
            if (!(zs.valid & ZIP_STAT_SIZE)) {
                snprintf(x->st->err, sizeof(x->st->err), "%s: entry %s: declares no size; refused",
                         display, name);
                rc = DTC_EZIP;
                break;
            }
            item *it = &items[ni++];
            it->index = i;
            it->name = name; /* libzip's copy, kept until za is discarded below */
            it->comp = comp;
            it->size = zs.size;
            it->crc = zs.valid & ZIP_STAT_CRC ? zs.crc : 0;
            it->deflated =
                (zs.valid &
                 (ZIP_STAT_COMP_METHOD | ZIP_STAT_SIZE | ZIP_STAT_CRC | ZIP_STAT_COMP_SIZE)) ==
                    (ZIP_STAT_COMP_METHOD | ZIP_STAT_SIZE | ZIP_STAT_CRC | ZIP_STAT_COMP_SIZE) &&
                zs.comp_method == ZIP_CM_DEFLATE &&
                !(zs.valid & ZIP_STAT_ENCRYPTION_METHOD && zs.encryption_method != ZIP_EM_NONE);
            rc = provenance(x, name, "json", it->size, NULL);
        } else if (ends_with(name, ".zip")) {
            if (x->depth >= 1) {
                snprintf(x->st->err, sizeof(x->st->err),
                         "%s: entry %s: an archive inside the inner archive; "
                         "license exports nest only once",
                         display, name);
                rc = DTC_EZIP;
            } else
                rc = inner_zip(x, za, i, display, name, comp,
                               zs.valid & ZIP_STAT_SIZE ? zs.size : UINT64_MAX);
        } else {
            zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)i, 0);
            source src = {.zf = zf, .fd = -1};
            rc = side_entry(x, zf ? &src : NULL, zf ? "" : zip_strerror(za), display, name,
                            zs.valid & ZIP_STAT_SIZE ? zs.size : UINT64_MAX, side_kind(name));
            if (zf) zip_fclose(zf);
        }
    }
    if (rc == 0) rc = run_items(x, display, path, items, ni);
    zip_discard(za);
    dtc_free(items);
    return rc;
}

/* The kind of a regular file from its first bytes: 'z' ZIP, 'j' JSON, '?'.
 * -1 (errno) when it cannot be opened, -2 when it is not a regular file. */
static int sniff(const char *path, char *kind)
{
    unsigned char b[64];
    uint64_t size;
    int fd = open_regular(path, &size);
    if (fd < 0) return fd;
    ssize_t got = read(fd, b, sizeof(b));
    close(fd);
    if (got < 0) return -1;
    size_t n = (size_t)got;
    size_t i = 0;
    if (n >= 4 && b[0] == 'P' && b[1] == 'K' && (b[2] == 3 || b[2] == 5) &&
        (b[3] == 4 || b[3] == 6)) {
        *kind = 'z';
        return 0;
    }
    if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) i = 3;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    *kind = i < n && b[i] == '{' ? 'j' : '?';
    return 0;
}

static int import_json_files(imp *x, char **paths, size_t n)
{
    item *items = dtc_calloc(n ? n : 1, sizeof(item));
    if (!items) return DTC_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *base = strrchr(paths[i], '/') ? strrchr(paths[i], '/') + 1 : paths[i];
        items[i].index = -1;
        items[i].path = paths[i];
        items[i].name = base;
        struct stat sb;
        items[i].size = stat(paths[i], &sb) == 0 ? (uint64_t)sb.st_size : 0;
        rc = provenance(x, base, "json", items[i].size, NULL);
    }
    if (rc == 0) rc = run_items(x, x->archive, NULL, items, n);
    dtc_free(items);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int import_dir(imp *x, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(x->st->err, sizeof(x->st->err), "%s: %s", dir, strerror(errno));
        return DTC_EIO;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **g = dtc_realloc(names, cap * sizeof(*g));
            if (!g) {
                rc = DTC_ENOMEM;
                break;
            }
            names = g;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = dtc_malloc(len))) {
            rc = DTC_ENOMEM;
            break;
        }
        snprintf(names[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n > 1) qsort(names, n, sizeof(*names), by_name);
    /* Every file is its own archive for provenance: JSON files are parsed
     * together; ZIPs one by one; anything else is hashed and kept. */
    char **json = dtc_calloc(n ? n : 1, sizeof(*json));
    size_t nj = 0;
    if (!json) rc = DTC_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct stat sb;
        if (lstat(names[i], &sb) != 0 || !S_ISREG(sb.st_mode))
            continue; /* no symlinks, folders or devices */
        char kind;
        int sn = sniff(names[i], &kind);
        if (sn == -2) continue; /* swapped for a FIFO or device since lstat */
        if (sn != 0) {
            snprintf(x->st->err, sizeof(x->st->err), "%s: %s", names[i], strerror(errno));
            rc = DTC_EIO;
        } else if (kind == 'z') {
            char sha[72];
            if (file_sha256(names[i], sha) != 0) {
                snprintf(x->st->err, sizeof(x->st->err), "%s: cannot be read: %s", names[i],
                         strerror(errno));
                rc = DTC_EIO;
                break;
            }
            char keep_hash[72];
            const char *keep_archive = x->archive;
            memcpy(keep_hash, x->archive_hash, sizeof(keep_hash));
            memcpy(x->archive_hash, sha, sizeof(sha));
            x->archive = names[i];
            rc = import_zip(x, names[i], names[i]);
            memcpy(x->archive_hash, keep_hash, sizeof(keep_hash));
            x->archive = keep_archive;
        } else if (kind == 'j' && ends_with(names[i], ".json")) {
            json[nj++] = names[i];
        } else {
            char sha[72];
            const char *base = strrchr(names[i], '/') + 1;
            if (sb.st_size > (off_t)SIDE_CAP || file_sha256(names[i], sha) != 0) {
                snprintf(x->st->err, sizeof(x->st->err),
                         "%s: not an export file dtcost can read or keep "
                         "(neither ZIP nor JSON, or larger than 64 MiB)",
                         names[i]);
                rc = DTC_EZIP;
            } else {
                rc = provenance(x, base, side_kind(base), (uint64_t)sb.st_size, sha);
                if (rc)
                    snprintf(x->st->err, sizeof(x->st->err), "%s: %s", names[i],
                             dtc_store_errmsg(x->s));
            }
        }
    }
    if (rc == 0 && nj) rc = import_json_files(x, json, nj);
    dtc_free(json);
    for (size_t i = 0; i < n; i++)
        dtc_free(names[i]);
    dtc_free(names);
    return rc;
}

int dtc_lic_import(dtc_lic_import_stats *st, dtc_store *s, const char *path,
                   const dtc_lic_import_opts *o)
{
    memset(st, 0, sizeof(*st));
    imp *x = dtc_calloc(1, sizeof(*x));
    if (!x) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        return DTC_ENOMEM;
    }
    x->s = s;
    x->o = o;
    x->st = st;
    x->archive = path;
    dtc_fmt_datetime(x->now, (int64_t)time(NULL));
    struct stat sb;
    int rc;
    if (stat(path, &sb) != 0) {
        snprintf(st->err, sizeof(st->err),
                 "%s: %s (give an export ZIP, a JSON file or a folder of them)", path,
                 strerror(errno));
        rc = errno == ENOENT ? DTC_ENOTFOUND : DTC_EIO;
        goto done;
    }
    if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode)) {
        snprintf(st->err, sizeof(st->err), "%s: %s", path, NOT_REGULAR);
        rc = DTC_EZIP;
        goto done;
    }
    if ((rc = dtc_store_begin(s)) != 0) {
        snprintf(st->err, sizeof(st->err), "%s", dtc_store_errmsg(s));
        goto done;
    }
    if (S_ISDIR(sb.st_mode)) {
        /* A folder's files are keyed under a hash of its full path. */
        char *real = realpath(path, NULL);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdn = 0;
        if (real && EVP_Digest(real, strlen(real), md, &mdn, EVP_sha256(), NULL))
            hex(x->archive_hash, md, mdn);
        free(real);
        rc = import_dir(x, path);
    } else {
        char kind = '?';
        int sn = sniff(path, &kind);
        if (sn == -2) { /* swapped for a FIFO or device since stat */
            snprintf(st->err, sizeof(st->err), "%s: %s", path, NOT_REGULAR);
            rc = DTC_EZIP;
        } else if (sn != 0 || file_sha256(path, x->archive_hash) != 0) {
            snprintf(st->err, sizeof(st->err), "%s: cannot be read: %s", path, strerror(errno));
            rc = DTC_EIO;
        } else if (kind == 'z') {
            rc = import_zip(x, path, path);
        } else if (kind == 'j') {
            char *one[] = {(char *)path};
            rc = import_json_files(x, one, 1);
        } else {
            snprintf(st->err, sizeof(st->err),
                     "%s: neither a ZIP archive nor a JSON document (expected the "
                     "export's ZIP, its inner ZIP or an hour's JSON)",
                     path);
            rc = DTC_EZIP;
        }
    }
    if (rc == 0 && st->documents == 0) {
        snprintf(st->err, sizeof(st->err), "%s: holds no license data (no .json entries)", path);
        rc = DTC_EPARSE;
    }
    if (rc == 0 && (rc = dtc_store_commit(s)) != 0)
        snprintf(st->err, sizeof(st->err), "%s", dtc_store_errmsg(s));
    if (rc) dtc_store_rollback(s);
    /* the one failure the steps above do not describe themselves */
    if (rc == DTC_ENOMEM && !st->err[0])
        snprintf(st->err, sizeof(st->err), "%s: out of memory", path);
done:
    for (int i = 0; i < BATCH; i++) {
        dtc_free(x->res[i].envs);
        dtc_free(x->res[i].hosts);
    }
    dtc_free(x->keep);
    dtc_free(x);
    return rc;
}
