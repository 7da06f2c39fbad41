/* main.c: the `dtcost` entry point and its table of subcommands. */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "commands.h"
#include "docgen.h"
#include "dtcost/version.h"
#include "opts.h"

const command dtc_commands[] = {
    {"doctor", cmd_doctor,
     "check configuration, credentials, scopes and reachability, and say what to fix",
     &doctor_spec},
    {"demo", cmd_demo, "start a local emulated Dynatrace and show dtcost working against it",
     &demo_spec},
    {"emulate", cmd_emulate,
     "serve a faithful local Dynatrace (SSO, account APIs, cluster export, bizevents)",
     &emulate_spec},
    {"sync", cmd_sync, "bring the local database in step with the account's cost, usage and budget",
     &sync_spec},
    {"license", cmd_license,
     "turn Managed cluster license exports into host-unit hours, DEM units and DDUs",
     &license_spec},
    {"report", cmd_report,
     "budget burn and projection, spend and movers, anomalies, chargeback, HTML charts",
     &report_spec},
    {"verify", cmd_verify, "reconcile the database and print every discrepancy with its size",
     &verify_spec},
    {"export", cmd_export, "write cost and usage as CSV, JSON Lines or FOCUS, streaming",
     &export_spec},
    {"push", cmd_push,
     "deliver new and restated cost records to a webhook or Dynatrace business events", &push_spec},
    {"serve", cmd_serve, "run sync and pushes on a schedule, with /healthz, /readyz and /metrics",
     &serve_spec},
    {"db", cmd_db, "copy every table between databases (SQLite and PostgreSQL)", &db_spec},
};
const size_t dtc_ncommands = sizeof(dtc_commands) / sizeof(dtc_commands[0]);

static void usage(FILE *out)
{
    fprintf(out, "usage: dtcost <command> [options]\n\n"
                 "Dynatrace consumption and cost, in the tools FinOps teams already use.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < dtc_ncommands; i++)
        fprintf(out, "  %-10s %s\n", dtc_commands[i].name, dtc_commands[i].summary);
    fprintf(out, "\n'dtcost <command> --help' describes a command's options; 'man dtcost' the\n"
                 "conventions every command shares (dates, formats, exit codes).\n");
}

static const command *find(const char *name)
{
    for (size_t i = 0; i < dtc_ncommands; i++)
        if (strcmp(dtc_commands[i].name, name) == 0) return &dtc_commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    const char *cands[sizeof(dtc_commands) / sizeof(dtc_commands[0]) + 2];
    for (size_t i = 0; i < dtc_ncommands; i++)
        cands[i] = dtc_commands[i].name;
    cands[dtc_ncommands] = "help";
    cands[dtc_ncommands + 1] = NULL;
    const char *near = opt_suggest(name, cands);
    if (near)
        fprintf(stderr, "dtcost: unknown command '%s'; did you mean '%s'? (try 'dtcost --help')\n",
                name, near);
    else
        fprintf(stderr, "dtcost: unknown command '%s' (try 'dtcost --help')\n", name);
    return DTC_EXIT_USAGE;
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
    opt_set_program(argv[0]);
    if (argc < 2) {
        usage(stderr);
        return DTC_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            static char help[] = "--help";
            char *sub[] = {argv[2], help, NULL};
            const command *c = find(argv[2]);
            if (!c) return unknown_command(argv[2]);
            return c->fn(2, sub);
        }
        usage(stdout);
        return DTC_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0 || strcmp(name, "version") == 0) {
        printf("dtcost %s\n", dtc_version());
        return DTC_EXIT_OK;
    }
    /* Build-time generators, not listed: the man pages and completions come
     * from the same tables as the parser. */
    if (strcmp(name, "__man") == 0) return argc == 3 ? docgen_man(argv[2]) : DTC_EXIT_USAGE;
    if (strcmp(name, "__complete") == 0)
        return argc == 3 ? docgen_complete(stdout, argv[2]) : DTC_EXIT_USAGE;
    if (name[0] == '-') {
        fprintf(stderr,
                "dtcost: unknown option '%s': options follow the command (try 'dtcost --help')\n",
                name);
        return DTC_EXIT_USAGE;
    }
    keep_secrets_out_of_core_dumps(name);
    const command *c = find(name);
    if (!c) return unknown_command(name);
    return c->fn(argc - 1, argv + 1);
}
