/* commands.h: every `dtcost` subcommand, registered in main.c's table. */
#ifndef DTC_CLI_COMMANDS_H
#define DTC_CLI_COMMANDS_H

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

#endif
