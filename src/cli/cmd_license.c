/* cmd_license.c: `dtcost license fetch` and `dtcost license import`: Managed
 * cluster license exports into host-unit hours, DEM units and DDUs in the
 * database (docs/license.md). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "commands.h"
#include "dtcost/config.h"
#include "dtcost/license.h"
#include "dtcost/store.h"
#include "opts.h"
#include "record.h"
#include "timeutil.h"

static const char *db_path, *config_path, *detail, *cluster, *token_file, *out_dir;
static int64_t from, to;
static int threads, max_entry_mb, chunk_hours, max_wait, retry_base_ms;
static bool no_import, quiet;
static const char *out_format;

static const opt license_opts[] = {
    {"db", OPT_STR, &db_path, "PATH", OPT_DB_HELP},
    {"config", OPT_STR, &config_path, "FILE",
     "INI file whose [license] section sets rules, prices and the cluster (or DTCOST_CONFIG)"},
    {"detail", OPT_STR, &detail, "hosts", "also keep one row per host and hour (lic_host_hour)"},
    {"threads", OPT_INT, &threads, "N",
     "import: parsing threads (default: one per CPU, at most 8)"},
    {"max-entry-mb", OPT_INT, &max_entry_mb, "MB",
     "import: largest JSON entry after inflating (default 512)"},
    {"cluster", OPT_STR, &cluster, "URL",
     "fetch: the Managed cluster, e.g. https://cluster.example.com ([license] cluster_url)"},
    {"token-file", OPT_STR, &token_file, "FILE",
     "fetch: cluster Api-Token (ServiceProviderAPI), mode 600 (or DT_CLUSTER_TOKEN_FILE / "
     "DT_CLUSTER_TOKEN)"},
    {"from", OPT_TIME, &from, "TIME", "fetch: first hour (required)"},
    {"to", OPT_TIME, &to, "TIME", "fetch: end, exclusive (default: the last complete hour)"},
    {"chunk-hours", OPT_INT, &chunk_hours, "N", "fetch: hours per export request (default 168)"},
    {"out", OPT_STR, &out_dir, "DIR",
     "fetch: where the archives are kept; a rerun reuses complete ones (default dtcost-license)"},
    {"max-wait", OPT_INT, &max_wait, "SECS",
     "fetch: longest total wait while the cluster answers 429 (default 900)"},
    {"retry-base-ms", OPT_INT, &retry_base_ms, "MS",
     "fetch: first wait after a 429, doubled each time up to 60 s (default 2000)"},
    {"no-import", OPT_FLAG, &no_import, NULL, "fetch: download only"},
    {"quiet", OPT_FLAG, &quiet, NULL, "no summary"},
    {"format|json", OPT_CHOICE, &out_format, "table|json|csv",
     "summary as a line of text, one JSON object or a CSV header and row on stdout (default "
     "table)"},
    {NULL, 0, NULL, NULL, NULL},
};

const cmd_spec license_spec = {
    "license",
    "import FILE|DIR... | fetch --cluster URL --from TIME [--to TIME]",
    "Managed clusters on classic licensing: turn the Cluster API v2 license\n"
    "export (a ZIP of hourly JSON files) into Full-Stack, Infrastructure and\n"
    "application-only host-unit hours, DEM units and DDUs per pool, per cluster,\n"
    "environment and hour, in the same database as dtcost sync. `import` reads\n"
    "the export's ZIP, its inner ZIP, an hour's JSON or a folder of them (the\n"
    "offline route); `fetch` downloads the range in chunks (streamed to --out,\n"
    "resumable) and imports them. Each import is one transaction: on any error\n"
    "nothing is written. Importing the same data twice changes nothing.\n"
    "Exit codes: 0, 65 a corrupt or hostile archive, 66 no such file, 75 the\n"
    "cluster stayed busy (429), 77 token refused, 78 usage or configuration.\n"
    "Details: docs/license.md.",
    license_opts,
};

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static double secs_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void add_stats(dtc_lic_import_stats *sum, const dtc_lic_import_stats *s)
{
    sum->files += s->files;
    sum->documents += s->documents;
    sum->env_hours += s->env_hours;
    sum->host_hours += s->host_hours;
    sum->provenance += s->provenance;
    sum->inserted += s->inserted;
    sum->updated += s->updated;
    sum->unchanged += s->unchanged;
    sum->removed += s->removed;
    sum->json_bytes += s->json_bytes;
}

static int import_paths(dtc_store *db, const dtc_lic_import_opts *io, char **paths, int n,
                        dtc_lic_import_stats *sum)
{
    for (int i = 0; i < n; i++) {
        dtc_lic_import_stats st;
        int rc = dtc_lic_import(&st, db, paths[i], io);
        if (rc) {
            fprintf(stderr, "dtcost license: %s\n", st.err);
            if (i > 0)
                fprintf(
                    stderr,
                    "dtcost license: the %d file(s) before it were imported; rerun with the rest\n",
                    i);
            return rc;
        }
        add_stats(sum, &st);
    }
    return 0;
}

static int read_token(char **out)
{
    char err[512];
    const char *tf = token_file ? token_file : env("DT_CLUSTER_TOKEN_FILE");
    if (tf) {
        if (dtc_read_secret_file(out, tf, err, sizeof(err)) != 0) {
            fprintf(stderr, "dtcost license: %s\n", err);
            return DTC_EINVAL;
        }
        return 0;
    }
    if (env("DT_CLUSTER_TOKEN")) {
        *out = dtc_strdup(env("DT_CLUSTER_TOKEN"));
        return *out ? 0 : DTC_ENOMEM;
    }
    fprintf(
        stderr,
        "dtcost license: no cluster token: set DT_CLUSTER_TOKEN_FILE (a file with the Api-Token, "
        "chmod 600), DT_CLUSTER_TOKEN, or --token-file\n");
    return DTC_EINVAL;
}

static void summary(const char *what, const dtc_lic_import_stats *s, const dtc_lic_fetch_stats *f,
                    double secs)
{
    if (quiet) return;
    if (out_format && !opt_is(out_format, "table")) {
        char sec[32];
        snprintf(sec, sizeof(sec), "%.3f", secs);
        const rec_field r[] = {
            REC_S("command", what),
            REC_N("seconds", sec),
            REC_I("archives", s->files),
            REC_I("hour_files", s->documents),
            REC_I("json_bytes", s->json_bytes),
            REC_I("environment_hours", s->env_hours),
            REC_I("host_hours", s->host_hours),
            REC_I("inserted", s->inserted),
            REC_I("updated", s->updated),
            REC_I("unchanged", s->unchanged),
            REC_I("removed", s->removed),
            REC_I("provenance_files", s->provenance),
            /* fetch only */
            REC_I("chunks", f ? f->chunks : 0),
            REC_I("downloaded", f ? f->downloaded : 0),
            REC_I("reused", f ? f->reused : 0),
            REC_I("requests", f ? f->requests : 0),
            REC_I("busy_waits", f ? f->busy_waits : 0),
            REC_I("download_bytes", f ? f->bytes : 0),
        };
        (void)rec_write(stdout, out_format, r, f ? 18 : 12, true);
        return;
    }
    if (f)
        printf("Fetched %ld chunk(s): %ld downloaded (%.1f MB), %ld already on disk, %ld "
               "request(s), %ld wait(s) "
               "for a running export.\n",
               f->chunks, f->downloaded, (double)f->bytes / 1e6, f->reused, f->requests,
               f->busy_waits);
    if (s->documents)
        printf("Imported %ld hour file(s) (%.1f MB of JSON) in %.2f s: %ld environment-hours, %ld "
               "host-hours; "
               "%ld rows new, %ld changed, %ld unchanged, %ld removed.\n",
               s->documents, (double)s->json_bytes / 1e6, secs, s->env_hours, s->host_hours,
               s->inserted, s->updated, s->unchanged, s->removed);
}

int cmd_license(int argc, char **argv)
{
    db_path = config_path = detail = cluster = token_file = out_dir = NULL;
    from = to = 0;
    threads = max_entry_mb = chunk_hours = max_wait = retry_base_ms = 0;
    no_import = quiet = false;
    out_format = NULL;
    int npos = 0;
    int code = opt_parse(&license_spec, argc, argv, &npos);
    if (code >= 0) return code;
    char **pos = argv + 1;
    if (npos < 1 || (strcmp(pos[0], "import") && strcmp(pos[0], "fetch")))
        return opt_usage_error(&license_spec,
                               "say what to do: license import FILE|DIR..., or license fetch");
    bool fetch = pos[0][0] == 'f';
    if (!fetch && npos < 2)
        return opt_usage_error(&license_spec,
                               "license import takes the export's ZIP, an hour's JSON or a folder");
    if (fetch && npos > 1)
        return opt_usage_error(&license_spec,
                               "license fetch takes no file; use --out for where archives go");
    if (detail && strcmp(detail, "hosts") != 0)
        return opt_usage_error(&license_spec, "--detail takes hosts, not '%s'", detail);
    if (threads < 0 || threads > 64 || max_entry_mb < 0 || chunk_hours < 0 || max_wait < 0 ||
        retry_base_ms < 0)
        return opt_usage_error(&license_spec,
                               "--threads, --max-entry-mb, --chunk-hours and --max-wait take "
                               "positive numbers");
    dtc_license_config lc;
    dtc_config_file file = {.license = &lc};
    int rc = dtc_config_file_load(&file, config_path);
    if (rc) {
        fprintf(stderr, "dtcost license: %s\n", file.err);
        dtc_license_config_dispose(&lc);
        dtc_config_file_dispose(&file);
        return opt_exit_for(rc);
    }
    dtc_lic_import_opts io = {.rules = lc.rules,
                              .hosts = detail != NULL,
                              .threads = threads,
                              .entry_cap = (uint64_t)max_entry_mb << 20};
    dtc_lic_import_stats sum;
    memset(&sum, 0, sizeof(sum));
    dtc_lic_fetch_stats fs;
    memset(&fs, 0, sizeof(fs));
    dtc_store *db = NULL;
    char *token = NULL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (fetch) {
        const char *url = cluster ? cluster : lc.cluster_url;
        if (!url || !from) {
            code = opt_usage_error(&license_spec,
                                   "license fetch needs --cluster URL (or [license] cluster_url) "
                                   "and --from");
            goto done;
        }
        if (!token_file && lc.token_file) token_file = lc.token_file;
        if ((rc = read_token(&token)) != 0) {
            code = opt_exit_for(rc);
            goto done;
        }
        char base[1024];
        snprintf(base, sizeof(base), "%s", url);
        for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
            base[n - 1] = '\0';
        dtc_lic_fetch_opts fo = {.cluster_url = base,
                                 .token = token,
                                 .from_ms = from * 1000,
                                 .to_ms = to ? to * 1000 : (int64_t)time(NULL) * 1000,
                                 .chunk_hours = chunk_hours,
                                 .out_dir = out_dir ? out_dir : "dtcost-license",
                                 .wait_total_s = max_wait,
                                 .wait_base_ms = retry_base_ms};
        rc = dtc_lic_fetch(&fs, &fo);
        dtc_free_secret(token);
        token = NULL;
        if (rc) {
            fprintf(stderr, "dtcost license: %s\n", fs.err);
            if (fs.nfiles)
                fprintf(stderr,
                        "dtcost license: %zu chunk(s) are complete in %s; a rerun fetches only the "
                        "rest\n",
                        fs.nfiles, fo.out_dir);
            code = opt_exit_for(rc);
            goto done;
        }
    }
    if (!fetch || !no_import) {
        const char *path = dtc_config_db_path(db_path, &file); /* import creates it */
        char err[512];
        if ((rc = dtc_store_open(&db, path, err, sizeof(err))) != 0) {
            fprintf(stderr, "dtcost license: %s\n", err);
            code = opt_exit_for(rc);
            goto done;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0); /* the summary times the import */
        rc = fetch ? import_paths(db, &io, fs.files, (int)fs.nfiles, &sum)
                   : import_paths(db, &io, pos + 1, npos - 1, &sum);
        if (rc) {
            code = rc == DTC_ENOTFOUND ? DTC_EXIT_NOINPUT : opt_exit_for(rc);
            goto done;
        }
    }
    summary(fetch ? "fetch" : "import", &sum, fetch ? &fs : NULL, secs_since(&t0));
    code = DTC_EXIT_OK;
done:
    dtc_free_secret(token);
    dtc_lic_fetch_stats_dispose(&fs);
    dtc_store_close(db);
    dtc_license_config_dispose(&lc);
    dtc_config_file_dispose(&file);
    return code;
}
