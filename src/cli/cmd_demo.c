/* cmd_demo.c: `dtcost demo` (placeholder until the demo module lands). */
#include "commands.h"
#include "opts.h"
int cmd_demo(int argc, char **argv) { (void)argc; (void)argv; return DTC_EXIT_SOFTWARE; }
