/* emu_model.c: the emulator's deterministic data set. Every value is a pure
 * function of the seed, the scale flags and the emulated clock, so answers
 * reconcile with each other and the same seed always gives the same bytes. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "emu.h"
#include "hash.h"
#include "timeutil.h"

/* Keys, names and units from the contract (section 7); prices are examples
 * in USD per unit with four decimals; `daily` is a typical environment's day. */
const emu_cap emu_caps[] = {
    {"FULLSTACK_MONITORING", "Full-Stack Monitoring", "GiB-hour", 80, 9000, 0.92},
    {"INFRASTRUCTURE_MONITORING", "Infrastructure Monitoring", "host-hour", 400, 600, 0.95},
    {"FOUNDATION_AND_DISCOVERY", "Foundation & Discovery", "host-hour", 100, 500, 0.97},
    {"KUBERNETES_OPERATIONS", "Kubernetes Platform Monitoring", "pod-hour", 20, 20000, 0.9},
    {"USER_SESSIONS", "Real User Monitoring", "session", 23, 40000, 0.7},
    {"USER_SESSION_REPLAYS", "Real User Monitoring with Session Replay", "session", 45, 4000, 0.7},
    {"USER_SESSION_PROPERTIES", "Real User Monitoring Property", "property", 1, 60000, 0.7},
    {"SYNTHETIC_MONITORING_BROWSER", "Browser Monitor or Clickpath", "synthetic action", 45, 3000,
     1.0},
    {"SYNTHETIC_MONITORING_HTTP", "HTTP Monitor", "synthetic request", 10, 20000, 1.0},
    {"SYNTHETIC_MONITORING_THIRD_PARTY", "Third-Party Synthetic API Ingestion",
     "third-party synthetic result", 10, 2000, 1.0},
    {"LOG_MANAGEMENT_INGEST", "Log Management & Analytics - Ingest & Process", "GiB", 2000, 40,
     0.8},
    {"LOG_MANAGEMENT_RETAIN", "Log Management & Analytics - Retain", "GiB-day", 7, 9000, 1.0},
    {"LOG_MANAGEMENT_ANALYZE", "Log Management & Analytics - Query", "GiB scanned", 35, 3000, 0.6},
    {"BUSINESS_EVENTS_INGEST", "Events - Ingest & Process", "GiB", 2000, 5, 0.8},
    {"BUSINESS_EVENTS_RETAIN", "Events - Retain", "GiB-day", 7, 800, 1.0},
    {"BUSINESS_EVENTS_ANALYZE", "Events - Query", "GiB scanned", 35, 500, 0.6},
    {"TRACE_INGEST", "Traces - Ingest & Process", "GiB", 2000, 20, 0.85},
    {"TRACE_RETAIN", "Traces - Retain", "GiB-day", 7, 3000, 1.0},
    {"TRACE_QUERY", "Traces - Query", "GiB scanned", 35, 800, 0.6},
    {"AUTOMATIONS", "Automation Workflow", "workflow-hour", 1300, 20, 0.9},
    {"COMPUTE", "AppEngine Functions - Small", "GiB-hour", 100, 300, 0.8},
    {"CODE_MONITORING", "Code Monitoring", "GiB-hour", 50, 1500, 0.9},
    {"RUNTIME_VULNERABILITY_ANALYTICS", "Runtime Vulnerability Analytics", "GiB-hour", 23, 6000,
     0.93},
    {"RUNTIME_APPLICATION_PROTECTION", "Runtime Application Protection", "GiB-hour", 23, 3000,
     0.93},
    {"SECURITY_POSTURE_MANAGEMENT", "Security Posture Management", "host-day", 300, 80, 1.0},
    {"MAINFRAME_MONITORING", "Mainframe Monitoring", "MSU-hour", 1000, 100, 0.9},
    {"METRICS", "Custom Metrics Classic", "1,000 metric data points", 15, 5000, 0.95},
    {"LOGS", "Log Monitoring Classic", "1,000 log records", 5, 3000, 0.8},
    {"TRACES", "Custom Traces Classic", "1,000 spans", 7, 1000, 0.85},
    {"EVENTS", "Custom Events Classic", "1,000 events", 10, 200, 0.9},
    {"SERVERLESS", "Serverless Functions Classic", "1,000 invocations", 20, 800, 0.8},
};
const int emu_ncaps = (int)(sizeof(emu_caps) / sizeof(emu_caps[0]));

/* Names exercise UTF-8 and a missing name; the rest are generated. */
static const char *env_names[] = {
    "Production",    "Produktion München", "ステージング環境", NULL,
    "Development",   "Payments – EU",      "Zürich DR",        "QA",
    "Sandbox Ōsaka",
};

void emu_config_defaults(emu_config *c)
{
    memset(c, 0, sizeof(*c));
    c->bind = "127.0.0.1";
    c->port = 8319;
    c->seed = 42;
    c->now = 0; /* filled in from the real clock when left 0 */
    c->accounts = 1;
    c->subscriptions = 3;
    c->environments = 6;
    c->capabilities = emu_ncaps;
    c->days = 730;
    c->clusters = 2;
    c->cluster_envs = 3;
    c->hosts = 20;
    c->token_ttl = 300;
    c->page_size_default = 100;
    c->page_size_max = 1000;
    c->paging = "live";
    c->v3_page_size_limit = 50;
    c->budget_monitors = 1;
    c->error_envelope = "live";
    c->rl_inflight = 6;
    c->rl_rps = 300;
    c->rl_retry_after = 1;
    c->v2_sunset = dtc_days_from_civil(2027, 1, 11) * 86400;
    c->last_page_key = "null";
    c->export_max_days = 31;
    c->export_busy = 0;
    c->export_seconds = 0;
    c->bizevents_max = 5u << 20;
    c->webhook_max = (size_t)16 << 20;
    c->slow_ms = 2000;
    c->retry_after = 1;
}

int emu_refusal(const emu_config *c, const char *path)
{
    const char *eq = c->refuse ? strrchr(c->refuse, '=') : NULL;
    if (!eq || c->refuse[0] != '/' || eq == c->refuse + 1) return 0;
    char *end;
    long status = strtol(eq + 1, &end, 10);
    if (*end || end == eq + 1 || status < 400 || status > 599) return 0;
    size_t n = (size_t)(eq - c->refuse), len = path ? strlen(path) : 0;
    if (path && (len < n || memcmp(path + len - n, c->refuse, n) != 0)) return 0;
    return (int)status;
}

bool emu_paging_live(const emu_config *c)
{
    return strcmp(c->paging, "docs") != 0;
}

static void fmt_uuid(char dst[40], uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t h1 = dtc_hash4(seed, 0x55u, a, b, 1), h2 = dtc_hash4(seed, 0x55u, a, b, 2);
    snprintf(dst, 40, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(h1 >> 32),
             (unsigned)(h1 >> 16) & 0xffff, (unsigned)h1 & 0xfff,
             (unsigned)(0x8000 | ((h2 >> 48) & 0x3fff)),
             (unsigned long long)(h2 & 0xffffffffffffULL));
}

static void fmt_env_id(char dst[16], uint64_t seed, int acct, int i)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t h = dtc_hash4(seed, 0xe1u, (uint64_t)acct, (uint64_t)i, 0);
    for (int k = 0; k < 8; k++) {
        dst[k] = al[h % 36];
        h /= 36;
    }
    dst[0] = al[(uint64_t)(dst[0]) % 26]; /* start with a letter */
    dst[8] = '\0';
}

static int64_t month_start(int64_t day)
{
    int y, m, d;
    dtc_civil_from_days(day, &y, &m, &d);
    return dtc_days_from_civil(y, m, 1);
}

/* Fill periods of 12 months from start until past `today`. */
static void set_periods(emu_sub *s, int64_t today, int min_periods)
{
    s->nperiods = 0;
    int64_t p = s->start_day;
    while (s->nperiods < 8) {
        int64_t e = dtc_days_add_months(p, 12) - 1;
        s->period_start[s->nperiods] = p;
        s->period_end[s->nperiods] = e;
        s->nperiods++;
        p = e + 1;
        if (e >= today + 30 && s->nperiods >= min_periods) break;
    }
    s->end_day = s->period_end[s->nperiods - 1];
    s->cur_period = s->nperiods - 1;
    for (int i = 0; i < s->nperiods; i++)
        if (today >= s->period_start[i] && today <= s->period_end[i]) s->cur_period = i;
}

static int64_t sub_total_micro(const emu_model *m, const emu_account *a, const emu_sub *s,
                               int64_t from, int64_t to);

int emu_model_build(emu_model *m, const emu_config *cfg)
{
    int rc = DTC_ENOMEM;
    memset(m, 0, sizeof(*m));
    m->cfg = cfg;
    int64_t today = cfg->now / 86400;
    int ncap = cfg->capabilities < 1           ? 1
               : cfg->capabilities > emu_ncaps ? emu_ncaps
                                               : cfg->capabilities;
    m->naccounts = cfg->accounts;
    m->accounts = dtc_calloc((size_t)m->naccounts, sizeof(emu_account));
    if (!m->accounts) goto done;
    for (int ai = 0; ai < m->naccounts; ai++) {
        emu_account *a = &m->accounts[ai];
        if (ai == 0)
            snprintf(a->uuid, sizeof(a->uuid), "2b236438-2a31-4872-8655-bca4fa8af917");
        else
            fmt_uuid(a->uuid, cfg->seed, 0xacc, (uint64_t)ai);
        snprintf(a->client_id, sizeof(a->client_id), "dt0s02.EMUCLI%02d", ai % 100);
        snprintf(a->client_secret, sizeof(a->client_secret),
                 "%.24s.emulator-secret-not-for-production", a->client_id);
        snprintf(a->env_client_id, sizeof(a->env_client_id), "dt0s02.EMUENV%02d", ai % 100);
        snprintf(a->env_client_secret, sizeof(a->env_client_secret),
                 "%.24s.emulator-secret-env-read-only", a->env_client_id);
        snprintf(a->uac_client_id, sizeof(a->uac_client_id), "dt0s02.EMUUAC%02d", ai % 100);
        snprintf(a->uac_client_secret, sizeof(a->uac_client_secret),
                 "%.24s.emulator-secret-uac-read-only", a->uac_client_id);

        a->nsubs = cfg->subscriptions < 1 ? 1 : cfg->subscriptions;
        a->subs = dtc_calloc((size_t)a->nsubs, sizeof(emu_sub));
        a->nenvs = cfg->environments < 1 ? 1 : cfg->environments;
        a->envs = dtc_calloc((size_t)a->nenvs, sizeof(emu_env));
        if (!a->subs || !a->envs) goto done;

        /* Subscriptions: 0 the main active one, 1 its expired predecessor,
         * 2 an active one in EUR, further ones active in USD. */
        int nactive = 0;
        for (int si = 0; si < a->nsubs; si++) {
            emu_sub *s = &a->subs[si];
            fmt_uuid(s->uuid, cfg->seed, (uint64_t)ai, 0x5b00u + (uint64_t)si);
            s->currency = si == 2 ? "EUR" : "USD";
            s->status = "ACTIVE";
            s->cost_allocation = si != 2;
            if (si == 0) {
                s->start_day = a->nsubs == 1 ? month_start(today - cfg->days + 1)
                                             : dtc_days_add_months(month_start(today), -9);
                set_periods(s, today, 1);
                snprintf(s->name, sizeof(s->name), "Dynatrace Platform Subscription");
            } else if (si == 1) {
                s->end_day = a->subs[0].start_day - 1;
                s->start_day = dtc_days_add_months(a->subs[0].start_day, -12);
                s->nperiods = 1;
                s->period_start[0] = s->start_day;
                s->period_end[0] = s->end_day;
                s->cur_period = 0;
                s->status = "EXPIRED";
                snprintf(s->name, sizeof(s->name),
                         "Dynatrace Platform Subscription (previous term)");
            } else {
                s->start_day = dtc_days_add_months(month_start(today), -((si == 2) ? 3 : si % 12));
                set_periods(s, today, 1);
                snprintf(s->name, sizeof(s->name), si == 2 ? "DPS Europe (EUR)" : "DPS Unit %d",
                         si);
            }
            s->env_owner = si == 1 ? 0 : si;
            if (si != 1) nactive++;
            for (int c = 0; c < emu_ncaps; c++) {
                int64_t p = emu_caps[c].price4;
                /* EUR prices: 92% of USD, at least one ten-thousandth. */
                s->price4[c] = si == 2 ? (p * 92 + 50) / 100 : p;
                if (s->price4[c] < 1) s->price4[c] = 1;
            }
        }
        /* Environments go round-robin over the active subscriptions. */
        int act_idx[64], na = 0;
        for (int si = 0; si < a->nsubs && na < 64; si++)
            if (si != 1) act_idx[na++] = si;
        (void)nactive;
        for (int ei = 0; ei < a->nenvs; ei++) {
            emu_env *e = &a->envs[ei];
            fmt_env_id(e->id, cfg->seed, ai, ei);
            const char *nm = env_names[ei % (int)(sizeof(env_names) / sizeof(env_names[0]))];
            if (ei >= (int)(sizeof(env_names) / sizeof(env_names[0]))) {
                char tmp[64];
                snprintf(tmp, sizeof(tmp), "%s %d", nm ? nm : "Environment", ei);
                e->name = dtc_strdup(tmp);
            } else {
                e->name = nm ? dtc_strdup(nm) : NULL;
                if (nm && !e->name) goto done;
            }
            e->sub = act_idx[ei % na];
            double scale = 0.3 + 2.0 * dtc_unit(dtc_hash4(cfg->seed, 0x5ca1e, ai, ei, 0));
            for (int c = 0; c < ncap; c++) {
                uint64_t h = dtc_hash4(cfg->seed, 0xcab, (uint64_t)ai, (uint64_t)ei, (uint64_t)c);
                /* Full-Stack everywhere; other capabilities on about 70% of environments. */
                if (c != 0 && dtc_unit(h) > 0.7) continue;
                e->capmask |= (int64_t)1 << c;
                e->base[c] = emu_caps[c].daily * scale * (0.5 + dtc_unit(dtc_mix64(h)));
                e->growth[c] = 0.05 + 0.35 * dtc_unit(dtc_mix64(h ^ 0x9));
            }
        }
        for (int si = 0; si < a->nsubs; si++) {
            emu_sub *s = &a->subs[si];
            /* Budget: about 97% of what the current period will cost at full
             * booking, rounded to hundreds, so the forecast crosses it late. */
            int64_t p0 = s->period_start[s->cur_period], p1 = s->period_end[s->cur_period];
            int64_t total = sub_total_micro(m, a, s, p0, p1);
            int64_t b = total / 100 * 97;
            b = (b / 100000000 + 1) * 100000000;
            s->budget_micro = b;
        }
    }

    /* Managed clusters: the last one is DPS-licensed (422) when there are several. */
    m->nclusters = cfg->clusters < 0 ? 0 : cfg->clusters;
    if (m->nclusters) {
        m->clusters = dtc_calloc((size_t)m->nclusters, sizeof(emu_cluster));
        if (!m->clusters) goto done;
    }
    for (int ci = 0; ci < m->nclusters; ci++) {
        emu_cluster *c = &m->clusters[ci];
        fmt_uuid(c->uuid, cfg->seed, 0xc1u, (uint64_t)ci);
        snprintf(c->token, sizeof(c->token),
                 "dt0c01.EMUCLUSTER%02d000000000000.emulator-cluster-token", ci % 100);
        c->dps = m->nclusters > 1 && ci == m->nclusters - 1;
        c->nenvs = cfg->cluster_envs < 1 ? 1 : cfg->cluster_envs;
        c->env_uuid = dtc_calloc((size_t)c->nenvs, sizeof(*c->env_uuid));
        if (!c->env_uuid) goto done;
        for (int k = 0; k < c->nenvs; k++)
            fmt_uuid(c->env_uuid[k], cfg->seed, 0xce0u + (uint64_t)ci, (uint64_t)k);
    }
    snprintf(m->ingest_token, sizeof(m->ingest_token),
             "dt0c01.EMUINGEST000000000000000.emulator-ingest-token");
    snprintf(m->noingest_token, sizeof(m->noingest_token),
             "dt0c01.EMUNOINGEST0000000000000.emulator-read-only-token");
    rc = 0;
done:
    if (rc) emu_model_dispose(m);
    return rc;
}

void emu_model_dispose(emu_model *m)
{
    for (int ai = 0; m->accounts && ai < m->naccounts; ai++) {
        emu_account *a = &m->accounts[ai];
        for (int ei = 0; a->envs && ei < a->nenvs; ei++)
            dtc_free(a->envs[ei].name);
        dtc_free(a->envs);
        dtc_free(a->subs);
    }
    dtc_free(m->accounts);
    for (int ci = 0; m->clusters && ci < m->nclusters; ci++)
        dtc_free(m->clusters[ci].env_uuid);
    dtc_free(m->clusters);
    memset(m, 0, sizeof(*m));
}

bool emu_sub_has_env(const emu_sub *s, const emu_env *e)
{
    return e->sub == s->env_owner;
}

void emu_sub_data_days(const emu_model *m, const emu_sub *s, int64_t now, int64_t *first,
                       int64_t *last)
{
    /* History starts --days before the clock the emulator started with and
     * stays there when the clock advances: booked days never disappear. */
    int64_t today = now / 86400;
    int64_t f = m->cfg->now / 86400 - m->cfg->days;
    *first = s->start_day > f ? s->start_day : f;
    *last = s->end_day < today ? s->end_day : today;
}

/* Booking runs happen at 02:00 and 14:00 UTC. Run k (1-based) after a day
 * ends is the k-th such time after midnight following the day. */
static int64_t booking_run_time(int64_t day, int k)
{
    return (day + 1) * 86400 + 2 * 3600 + (int64_t)(k - 1) * 12 * 3600;
}

static int runs_seen(int64_t day, int64_t now)
{
    int64_t first = booking_run_time(day, 1);
    if (now < first) return 0;
    int64_t k = (now - first) / (12 * 3600) + 1;
    return k > 1000 ? 1000 : (int)k;
}

int64_t emu_last_booking_run(int64_t now)
{
    int64_t d = now / 86400, t = now - d * 86400;
    if (t >= 14 * 3600) return d * 86400 + 14 * 3600;
    if (t >= 2 * 3600) return d * 86400 + 2 * 3600;
    return (d - 1) * 86400 + 14 * 3600;
}

bool emu_model_spike(const emu_model *m, const emu_account *a, int env, int cap, int64_t day,
                     double *factor)
{
    uint64_t h = dtc_hash4(m->cfg->seed, 0x5e1e, (uint64_t)(a - m->accounts),
                           (uint64_t)env * 64 + (uint64_t)cap, (uint64_t)day);
    /* About one spike per environment and capability every 18 months. */
    if (dtc_unit(h) >= 1.0 / 540) return false;
    if (factor) *factor = 3.0 + 3.0 * dtc_unit(dtc_mix64(h));
    return true;
}

/* Final usage of a day, before booking fractions, in 1/100 units. */
static int64_t final_usage(const emu_model *m, const emu_account *a, int env, int cap, int64_t day)
{
    const emu_env *e = &a->envs[env];
    if (!((e->capmask >> cap) & 1)) return -1;
    uint64_t h = dtc_hash4(m->cfg->seed, 0xda7, (uint64_t)(a - m->accounts),
                           (uint64_t)env * 64 + (uint64_t)cap, (uint64_t)day);
    double years = (double)(day - m->cfg->now / 86400) / 365.0; /* <= 0 in the past */
    double v = e->base[cap] * (1.0 + e->growth[cap] * years);
    int wd = dtc_weekday(day);
    if (wd >= 5) v *= emu_caps[cap].weekend;
    v *= 0.94 + 0.12 * dtc_unit(h);
    double f;
    if (emu_model_spike(m, a, env, cap, day, &f)) v *= f;
    if (v < 0.01) v = 0.01;
    return (int64_t)llround(v * 100.0);
}

void emu_model_record(const emu_model *m, const emu_account *a, const emu_sub *s, int env, int cap,
                      int64_t day, int64_t now, emu_rec *out)
{
    memset(out, 0, sizeof(*out));
    if (day < s->start_day || day > s->end_day) return;
    int k = runs_seen(day, now);
    if (k == 0) return;
    int64_t full = final_usage(m, a, env, cap, day);
    if (full < 0) return;
    uint64_t h = dtc_hash4(m->cfg->seed, 0xb00c, (uint64_t)(a - m->accounts),
                           (uint64_t)env * 64 + (uint64_t)cap, (uint64_t)day);
    /* First run books 85-100% (a third of the records complete at once),
     * the second 60-99% of what is left, the third the rest. 3% of records get a late
     * correction of +1..8% four to twelve runs later. */
    int pm1 = dtc_unit(h) < 0.33 ? 1000 : 850 + (int)(h % 150);
    int pm2 = pm1 + (1000 - pm1) * (60 + (int)((h >> 8) % 40)) / 100; /* in [pm1, 1000) */
    int pm = k == 1 ? pm1 : k == 2 ? pm2 : 1000;
    int changed_at =
        k == 1 ? 1 : (k == 2 ? (pm2 != pm1 ? 2 : 1) : (pm2 != 1000 ? 3 : (pm2 != pm1 ? 2 : 1)));
    int64_t usage = full * pm / 1000;
    uint64_t h2 = dtc_mix64(h ^ 0x1a7e);
    if (dtc_unit(h2) < 0.03) {
        int late_k = 4 + (int)(h2 % 9);
        if (k >= late_k) {
            usage += full * (10 + (int64_t)((h2 >> 16) % 70)) / 1000;
            changed_at = late_k;
        }
    }
    if (usage < 1) usage = 1;
    out->present = true;
    out->usage_centi = usage;
    out->cost_micro = usage * s->price4[cap];
    out->booking_time = booking_run_time(day, changed_at) + 60 * (int64_t)(h % 40);
}

static int64_t sub_total_micro(const emu_model *m, const emu_account *a, const emu_sub *s,
                               int64_t from, int64_t to)
{
    int64_t sum = 0;
    emu_rec r;
    int64_t far = (to + 30) * 86400; /* every day fully booked */
    for (int ei = 0; ei < a->nenvs; ei++) {
        if (!emu_sub_has_env(s, &a->envs[ei])) continue;
        for (int c = 0; c < emu_ncaps; c++) {
            if (!((a->envs[ei].capmask >> c) & 1)) continue;
            for (int64_t d = from; d <= to; d++) {
                emu_model_record(m, a, s, ei, c, d, far, &r);
                if (r.present) sum += r.cost_micro;
            }
        }
    }
    return sum;
}

int64_t emu_sub_used_micro(const emu_model *m, const emu_account *a, const emu_sub *s, int64_t now)
{
    int64_t first, last;
    emu_sub_data_days(m, s, now, &first, &last);
    int64_t p0 = s->period_start[s->cur_period], p1 = s->period_end[s->cur_period];
    if (first < p0) first = p0;
    if (last > p1) last = p1;
    int64_t sum = 0;
    emu_rec r;
    for (int ei = 0; ei < a->nenvs; ei++) {
        if (!emu_sub_has_env(s, &a->envs[ei])) continue;
        for (int c = 0; c < emu_ncaps; c++) {
            if (!((a->envs[ei].capmask >> c) & 1)) continue;
            for (int64_t d = first; d <= last; d++) {
                emu_model_record(m, a, s, ei, c, d, now, &r);
                if (r.present) sum += r.cost_micro;
            }
        }
    }
    return sum;
}
