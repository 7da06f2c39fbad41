/* commands.h: every `dtcost` subcommand, registered in main.c's table. */
#ifndef DTC_CLI_COMMANDS_H
#define DTC_CLI_COMMANDS_H
#include <stddef.h>

#include "opts.h"

int cmd_emulate(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_license(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_db(int argc, char **argv);

/* Each command's option table, which drives its parser, --help, its man
 * page and the shell completions (docgen.c). */
extern const cmd_spec emulate_spec, demo_spec, sync_spec, doctor_spec, verify_spec, export_spec,
    report_spec, license_spec, push_spec, serve_spec, db_spec;

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary; /* one line, for `dtcost --help` and the man pages' NAME */
    const cmd_spec *spec;
} command;

/* main.c's table, in the order `dtcost --help` lists it. */
extern const command dtc_commands[];
extern const size_t dtc_ncommands;

#endif
