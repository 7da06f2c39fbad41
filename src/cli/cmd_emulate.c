/* cmd_emulate.c: `dtcost emulate`, a local Dynatrace for tests and demos. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "emu.h"
#include "opts.h"
#include "timeutil.h"

static emu_config cfg;
static bool refuse_unheld; /* --sso-refuse-unheld-scopes: the default, said explicitly */

static const opt emulate_opts[] = {
    {"bind", OPT_STR, &cfg.bind, "ADDR", "address to listen on (loopback unless you mean it)"},
    {"port", OPT_INT, &cfg.port, "PORT",
     "port; 0 picks a free one and prints it as the first line of stdout"},
    {"log", OPT_STR, &cfg.log_path, "FILE",
     "append one JSON line per request (method, path, query, status, latency)"},
    {"seed", OPT_U64, &cfg.seed, NULL, "seed of the synthetic data and of the faults"},
    {"now", OPT_TIME, &cfg.now, NULL,
     "emulated clock at start (ISO date-time or @epoch; default: the real clock)"},
    {"accounts", OPT_INT, &cfg.accounts, NULL, "accounts, each with its own OAuth clients"},
    {"subscriptions", OPT_INT, &cfg.subscriptions, NULL,
     "subscriptions per account (#2 expired, #3 in EUR)"},
    {"environments", OPT_INT, &cfg.environments, NULL, "environments per account"},
    {"capabilities", OPT_INT, &cfg.capabilities, NULL,
     "capabilities in use, from the contract's list"},
    {"days", OPT_INT, &cfg.days, NULL, "days of history"},
    {"clusters", OPT_INT, &cfg.clusters, NULL,
     "Managed clusters (with 2 or more, the last is DPS-licensed)"},
    {"cluster-environments", OPT_INT, &cfg.cluster_envs, NULL, "environments per Managed cluster"},
    {"hosts", OPT_INT, &cfg.hosts, NULL, "hosts per Managed environment"},
    {"token-ttl", OPT_INT, &cfg.token_ttl, "SECS", "lifetime of issued OAuth tokens"},
    {"paging", OPT_STR, &cfg.paging, "MODE",
     "v3 paging: live (page-size above --v3-page-size-limit is a 400; page-key needs the full "
     "query repeated) or docs (page-key alone; page-size clamped)"},
    {"v3-page-size-limit", OPT_INT, &cfg.v3_page_size_limit, NULL,
     "live paging: largest v3 page-size; larger is a 400, and the default page size stays within "
     "it"},
    {"page-size-default", OPT_INT, &cfg.page_size_default, NULL,
     "v3 and cost-allocation page size when none is asked"},
    {"page-size-max", OPT_INT, &cfg.page_size_max, NULL,
     "largest page size; larger requests are clamped (cost allocation; v3 with --paging docs)"},
    {"error-envelope", OPT_STR, &cfg.error_envelope, "FORM",
     "Account Management errors: live {\"error\":true,\"message\",\"payload\":null} or nested "
     "{\"error\":{\"code\",\"message\"}}"},
    {"rate-limit-inflight", OPT_INT, &cfg.rl_inflight, "N",
     "per account: Account Management requests answered at once; more get 429 (0: no limit)"},
    {"rate-limit-rps", OPT_INT, &cfg.rl_rps, "N",
     "per account: Account Management requests per second, bursts of N; more get 429 (0: no "
     "limit)"},
    {"rate-limit-retry-after", OPT_INT, &cfg.rl_retry_after, "SECS",
     "Retry-After of rate-limit 429s"},
    {"latency-ms", OPT_INT, &cfg.latency_ms, "MS",
     "every API answer waits this long, +-25 % jitter from the seed (counts as in flight)"},
    {"sso-require-scope", OPT_FLAG, &cfg.sso_require_scope, NULL,
     "a token request without scope is refused (400 invalid_request)"},
    {"sso-refuse-unheld-scopes", OPT_FLAG, &refuse_unheld, NULL,
     "a token request for a scope the client does not hold is refused whole (400 invalid_request; "
     "the default, as live)"},
    {"sso-grant-held-scopes", OPT_FLAG, &cfg.sso_grant_held_scopes, NULL,
     "instead grant the held scopes of a request and leave the others out"},
    {"sso-bare-refusals", OPT_FLAG, &cfg.sso_bare_refusals, NULL,
     "refuse an unheld scope with a bare 400 \"Bad Request\" that names no scope (as bad "
     "credentials are answered)"},
    {"v2-sunset", OPT_TIME, &cfg.v2_sunset, NULL,
     "v2 per-environment endpoints answer 410 from then on"},
    {"last-page-key", OPT_STR, &cfg.last_page_key, "MODE",
     "nextPageKey on the last page: null, absent, empty or mixed"},
    {"page-key-cycle", OPT_FLAG, &cfg.page_key_cycle, NULL,
     "v3 nextPageKey of the second page leads back to the first: the keys of any walk of more than "
     "one page cycle forever"},
    {"alloc-page-size-limit", OPT_INT, &cfg.alloc_page_size_limit, "N",
     "cost-allocation page-size above N is a 400 (0: no limit, as documented)"},
    {"alloc-to-exclusive", OPT_FLAG, &cfg.alloc_to_exclusive, NULL,
     "cost allocation reads `to` as the first day not wanted (default: the last day wanted; the "
     "docs do not say)"},
    {"refuse", OPT_STR, &cfg.refuse, "PATH-END=STATUS",
     "API requests whose path ends with PATH-END get STATUS (400-599), e.g. "
     "/cost-allocation=401 or /subscriptions/forecast=410"},
    {"budget-monitors", OPT_INT, &cfg.budget_monitors, "N",
     "cost monitors on each budget: each raises its own event at 50, 75, 90 and 100 %, so N of "
     "them share type, environment, capability and date (1-10)"},
    {"no-v3", OPT_FLAG, &cfg.no_v3, NULL,
     "v3 per-environment endpoints answer 404, as where v3 is not rolled out"},
    {"export-max-days", OPT_INT, &cfg.export_max_days, NULL,
     "longest cluster export range; longer ones get 400"},
    {"export-busy", OPT_INT, &cfg.export_busy, NULL,
     "answer 429 (export running) this many times before each export"},
    {"export-seconds", OPT_INT, &cfg.export_seconds, "SECS",
     "an export stays running this long; requests meanwhile get 429"},
    {"bizevents-max", OPT_SIZE, &cfg.bizevents_max, NULL,
     "largest business-event request body; larger gets 413"},
    {"webhook-max", OPT_SIZE, &cfg.webhook_max, NULL,
     "largest body a webhook receiver (/emu/webhook/NAME) takes; larger gets 413"},
    {"webhook-fail", OPT_INT, &cfg.webhook_fail, "N",
     "each webhook receiver fails its first N attempts"},
    {"webhook-fail-status", OPT_INT, &cfg.webhook_fail_status, "CODE",
     "status of those failures (0 drops the connection: a receiver that is down)"},
    {"webhook-delay-ms", OPT_INT, &cfg.webhook_delay_ms, "MS",
     "webhook receivers answer this late (after storing the body)"},
    {"fault-429", OPT_DOUBLE, &cfg.f429, NULL,
     "share of API requests answered 429 with Retry-After"},
    {"fault-500", OPT_DOUBLE, &cfg.f500, NULL, "share answered 500"},
    {"fault-503", OPT_DOUBLE, &cfg.f503, NULL, "share answered 503"},
    {"fault-drop", OPT_DOUBLE, &cfg.fdrop, NULL,
     "share whose connection is closed halfway through the body"},
    {"fault-slow", OPT_DOUBLE, &cfg.fslow, NULL, "share answered after --slow-ms"},
    {"fault-malformed", OPT_DOUBLE, &cfg.fmalformed, NULL,
     "share of JSON answers cut short into invalid JSON (still 200)"},
    {"fault-truncate-zip", OPT_DOUBLE, &cfg.ftruncate, NULL,
     "share of cluster exports whose ZIP is cut short"},
    {"slow-ms", OPT_INT, &cfg.slow_ms, "MS", "delay of a slow answer"},
    {"retry-after", OPT_INT, &cfg.retry_after, "SECS",
     "Retry-After of fault 429s (-1 leaves the header out)"},
    {"token-max-uses", OPT_INT, &cfg.token_max_uses, NULL,
     "a token expires after this many uses, e.g. mid-pagination (0: off)"},
    {NULL, 0, NULL, NULL, NULL},
};

const cmd_spec emulate_spec = {
    "emulate",
    "",
    "Serve a local Dynatrace on 127.0.0.1: SSO token endpoint, Account Management\n"
    "(subscriptions, budget, forecast, cost, usage, rate cards, events, cost\n"
    "allocation, environments), Managed cluster license export and business-event\n"
    "ingest, from deterministic data with switchable faults. Runs until SIGINT or\n"
    "SIGTERM. Endpoints, credentials and the data model: docs/emulator.md.",
    emulate_opts,
};

int cmd_emulate(int argc, char **argv)
{
    emu_config_defaults(&cfg);
    int npos;
    int rc = opt_parse(&emulate_spec, argc, argv, &npos);
    if (rc >= 0) return rc;
    if (npos) return opt_usage_error(&emulate_spec, "unexpected argument '%s'", argv[1]);
    if (strcmp(cfg.last_page_key, "null") && strcmp(cfg.last_page_key, "absent") &&
        strcmp(cfg.last_page_key, "empty") && strcmp(cfg.last_page_key, "mixed"))
        return opt_usage_error(&emulate_spec, "--last-page-key takes null, absent, empty or mixed");
    if (strcmp(cfg.paging, "live") && strcmp(cfg.paging, "docs"))
        return opt_usage_error(&emulate_spec, "--paging takes live or docs");
    if (strcmp(cfg.error_envelope, "live") && strcmp(cfg.error_envelope, "nested"))
        return opt_usage_error(&emulate_spec, "--error-envelope takes live or nested");
    if (refuse_unheld && cfg.sso_grant_held_scopes)
        return opt_usage_error(
            &emulate_spec,
            "--sso-refuse-unheld-scopes and --sso-grant-held-scopes exclude each other");
    if (cfg.refuse && emu_refusal(&cfg, NULL) == 0)
        return opt_usage_error(&emulate_spec,
                               "--refuse takes PATH-END=STATUS with a path starting with / and a "
                               "status 400-599, e.g. /cost-allocation=401");
    if (cfg.v3_page_size_limit < 1 || cfg.alloc_page_size_limit < 0 || cfg.rl_inflight < 0 ||
        cfg.rl_rps < 0 || cfg.rl_rps > 1000000 || cfg.rl_retry_after < 0 ||
        cfg.rl_retry_after > 86400 || cfg.latency_ms < 0 || cfg.latency_ms > 60000)
        return opt_usage_error(&emulate_spec,
                               "a limit flag is out of range (--v3-page-size-limit >= 1, "
                               "--alloc-page-size-limit >= 0, "
                               "--rate-limit-inflight >= 0, --rate-limit-rps 0-1000000, "
                               "--rate-limit-retry-after 0-86400, --latency-ms 0-60000)");
    if (cfg.port < 0 || cfg.port > 65535)
        return opt_usage_error(&emulate_spec, "--port takes 0 to 65535");
    if (cfg.accounts < 1 || cfg.accounts > 100 || cfg.subscriptions < 1 || cfg.subscriptions > 50 ||
        cfg.environments < 1 || cfg.environments > 5000 || cfg.days < 1 || cfg.days > 3700 ||
        cfg.capabilities < 1 || cfg.clusters < 0 || cfg.clusters > 100 || cfg.cluster_envs < 1 ||
        cfg.cluster_envs > 1000 || cfg.hosts < 0 || cfg.hosts > 100000 || cfg.token_ttl < 1 ||
        cfg.page_size_default < 1 || cfg.page_size_max < cfg.page_size_default ||
        cfg.export_max_days < 1 || cfg.webhook_fail < 0 || cfg.webhook_delay_ms < 0 ||
        (cfg.webhook_fail_status != 0 &&
         (cfg.webhook_fail_status < 100 || cfg.webhook_fail_status > 599)) ||
        cfg.budget_monitors < 1 || cfg.budget_monitors > 10)
        return opt_usage_error(&emulate_spec,
                               "a scale flag is out of range (accounts 1-100, subscriptions 1-50, "
                               "environments 1-5000, days 1-3700, page sizes >= 1, webhook failure "
                               "status 0 or 100-599, budget monitors 1-10)");
    if (cfg.f429 + cfg.f500 + cfg.f503 + cfg.fdrop + cfg.fslow + cfg.fmalformed > 1.0)
        return opt_usage_error(&emulate_spec, "the fault shares add up to more than 1");
    if (cfg.now == 0) cfg.now = (int64_t)time(NULL);

    /* Block the stop signals before the server's threads exist, so they all
     * inherit the mask and only sigwait below sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    emu_model model;
    if (emu_model_build(&model, &cfg) != 0) {
        fprintf(stderr,
                "dtcost emulate: out of memory building the data set (lower the scale flags)\n");
        return DTC_EXIT_SOFTWARE;
    }
    emu_server *srv = NULL;
    int port = 0;
    rc = emu_server_start(&srv, &model, &cfg, &port);
    if (rc != 0) {
        if (rc == DTC_EIO && cfg.log_path)
            fprintf(stderr,
                    "dtcost emulate: cannot listen on %s:%d or open --log %s (is the port taken? "
                    "try --port 0)\n",
                    cfg.bind, cfg.port, cfg.log_path);
        else
            fprintf(stderr,
                    "dtcost emulate: cannot listen on %s:%d (is the port taken? try --port 0)\n",
                    cfg.bind, cfg.port);
        emu_model_dispose(&model);
        return DTC_EXIT_UNAVAILABLE;
    }
    printf("%d\n", port);
    fflush(stdout);
    char now[21];
    dtc_fmt_datetime(now, cfg.now);
    const char *host = strchr(cfg.bind, ':') ? "[::1]" : cfg.bind;
    fprintf(stderr,
            "dtcost emulate: serving on http://%s:%d (emulated now %s, seed %llu)\n"
            "  account %s, OAuth client %s (secret: docs/emulator.md)\n"
            "  behaves like a live account: --paging %s, --error-envelope %s, rate limit %d in "
            "flight / %d per s\n"
            "  stop with Ctrl-C or SIGTERM\n",
            host, port, now, (unsigned long long)cfg.seed, model.accounts[0].uuid,
            model.accounts[0].client_id, cfg.paging, cfg.error_envelope, cfg.rl_inflight,
            cfg.rl_rps);
    int sig = 0;
    sigwait(&set, &sig);
    emu_server_stop(srv);
    emu_model_dispose(&model);
    return DTC_EXIT_OK;
}
