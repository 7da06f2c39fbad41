/* facts.h: load a tests/data/ fact file into a store through the storage
 * interface (dtc_store_put), for the unit tests of the modules that read the
 * store (verify, metrics, export, the allocation-failure loop). Header only: every
 * .c file of tests/unit is a test program of its own.
 *
 * The file: one fact a line, fields separated by '|': the table name, the
 * key columns, then the value columns, in store.c's order. A field that is
 * an integer ("-12") is stored as an integer, "NULL" as null, anything else
 * as text (a decimal such as "12.5" too: SQLite stores it as a number in a
 * REAL column, env_usage_day's value). Blank lines and lines starting with
 * '#' are skipped. */
#ifndef DTC_TEST_FACTS_H
#define DTC_TEST_FACTS_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtcost/store.h"

static const struct {
    const char *table;
    dtc_fact fact;
    int nkeys;
} facts_tables[] = {
    {"subscription", DTC_FACT_SUBSCRIPTION, 1},   {"environment", DTC_FACT_ENVIRONMENT, 2},
    {"cost_day", DTC_FACT_COST_DAY, 2},           {"env_cost_day", DTC_FACT_ENV_COST_DAY, 4},
    {"cost_allocation", DTC_FACT_ALLOCATION, 6},  {"forecast", DTC_FACT_FORECAST, 2},
    {"env_usage_day", DTC_FACT_ENV_USAGE_DAY, 4}, {"rate_card", DTC_FACT_RATE, 4},
};

static inline dtc_val facts_val(const char *f)
{
    char *end;
    long long i = strtoll(f, &end, 10);
    if (*f && !*end && (f[0] == '-' || (f[0] >= '0' && f[0] <= '9'))) return DTC_INT(i);
    return strcmp(f, "NULL") == 0 ? DTC_NULL : DTC_TEXT(f);
}

/* Load tests/data/<name> in one transaction of one sync run that started
 * at started_at (the time a changed value's revision is seen at); when
 * finished_at is not NULL the run then ends "ok" at finished_at, as a
 * successful sync does (what the export calls the last sync). 0, or the
 * first store error (a malformed line fails the test itself). */
static inline int facts_load_run(dtc_store *s, const char *name, const char *started_at,
                                 const char *finished_at)
{
    char path[512], line[1024];
    snprintf(path, sizeof(path), "%s/%s", DTC_TEST_DATA, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int64_t run;
    int rc = dtc_store_run_begin(s, &run, started_at, NULL);
    if (rc == 0) rc = dtc_store_begin(s);
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#') continue;
        char *field[24], *save = NULL;
        int n = 0;
        for (char *t = strtok_r(line, "|", &save); t && n < 24; t = strtok_r(NULL, "|", &save))
            field[n++] = t;
        size_t k = 0;
        while (k < sizeof(facts_tables) / sizeof(facts_tables[0]) &&
               strcmp(facts_tables[k].table, field[0]) != 0)
            k++;
        assert_true(k < sizeof(facts_tables) / sizeof(facts_tables[0]));
        dtc_val v[24];
        for (int i = 1; i < n; i++)
            v[i - 1] = facts_val(field[i]);
        dtc_put res;
        rc = dtc_store_put(s, &res, facts_tables[k].fact, v, v + facts_tables[k].nkeys, started_at);
    }
    fclose(f);
    if (rc == 0)
        rc = dtc_store_commit(s);
    else
        dtc_store_rollback(s);
    if (rc == 0 && finished_at) {
        dtc_run_stats st = {0};
        rc = dtc_store_run_end(s, run, finished_at, "ok", &st, NULL);
    }
    return rc;
}

/* Load tests/data/<name> in one run started 2026-12-02T00:00:00Z, left
 * unfinished (facts_load_run). */
static inline int facts_load(dtc_store *s, const char *name)
{
    return facts_load_run(s, name, "2026-12-02T00:00:00Z", NULL);
}

#endif
