/* main.c: the `dtcost` entry point and its table of subcommands. */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "commands.h"
#include "opts.h"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"doctor", cmd_doctor, "check configuration, credentials, scopes and reachability, and say what to fix"},
    {"demo", cmd_demo, "start a local emulated Dynatrace and show dtcost working against it"},
    {"emulate", cmd_emulate, "serve a faithful local Dynatrace (SSO, account APIs, cluster export, bizevents)"},
    {"sync", cmd_sync, "bring the local database in step with the account's cost, usage and budget"},
    {"license", cmd_license, "turn Managed cluster license exports into host-unit hours, DEM units and DDUs"},
    {"report", cmd_report, "budget burn and projection, spend and movers, anomalies, chargeback, HTML charts"},
    {"verify", cmd_verify, "reconcile the database and print every discrepancy with its size"},
    {"export", cmd_export, "write cost and usage as CSV, JSON Lines or FOCUS, streaming"},
    {"push", cmd_push, "deliver new and restated cost records to a webhook or Dynatrace business events"},
    {"serve", cmd_serve, "run sync and pushes on a schedule, with /healthz, /readyz and /metrics"},
    {"db", cmd_db, "copy every table between databases (SQLite and PostgreSQL)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: dtcost <command> [options]\n\n"
                 "Dynatrace consumption and cost, in the tools FinOps teams already use.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'dtcost <command> --help' describes a command's options.\n");
}

/* Commands that hold a client secret, an API token or a bearer token in
 * memory write no core dump: the dump would hold them. */
static void keep_secrets_out_of_core_dumps(const char *name)
{
    static const char *const holders[] = {"doctor", "sync", "license", "push", "serve"};
    for (size_t i = 0; i < sizeof(holders) / sizeof(holders[0]); i++) {
        if (strcmp(name, holders[i]) == 0) {
            struct rlimit none = {0, 0};
            (void)setrlimit(RLIMIT_CORE, &none);
            (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
            return;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return DTC_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            char *sub[] = {argv[2], "--help", NULL};
            for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(commands[i].name, argv[2]) == 0)
                    return commands[i].fn(2, sub);
        }
        usage(stdout);
        return DTC_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("dtcost " DTCOST_VERSION "\n");
        return DTC_EXIT_OK;
    }
    keep_secrets_out_of_core_dumps(name);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "dtcost: unknown command '%s' (try 'dtcost --help')\n", name);
    return DTC_EXIT_USAGE;
}
