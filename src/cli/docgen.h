/* docgen.h: man pages and shell completions written from the command table
 * and the option tables, at build time, so neither can drift from the parser. */
#ifndef DTC_CLI_DOCGEN_H
#define DTC_CLI_DOCGEN_H
#include <stdio.h>

/* Write dtcost.1 and dtcost-<command>.1 for every command into the existing
 * directory dir. Returns an exit code (0, or 74 when a file cannot be
 * written, with the reason on stderr). */
int docgen_man(const char *dir);
/* Write the completion script for shell ("bash" or "zsh") to out. Returns an
 * exit code (0, or 2 for another shell). */
int docgen_complete(FILE *out, const char *shell);

#endif
