/* opts.h: table-driven option parsing; the same table generates --help, so
 * help cannot drift from the parser. */
#ifndef DTC_CLI_OPTS_H
#define DTC_CLI_OPTS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes (sysexits.h values where one fits). */
enum {
    DTC_EXIT_OK = 0,
    DTC_EXIT_FAIL = 1,
    DTC_EXIT_USAGE = 2,
    DTC_EXIT_DATAERR = 65,     /* malformed data from a server or file */
    DTC_EXIT_NOINPUT = 66,     /* input file missing */
    DTC_EXIT_UNAVAILABLE = 69, /* server unreachable or endpoint gone */
    DTC_EXIT_SOFTWARE = 70,
    DTC_EXIT_BUSY = 73,        /* another run holds the lock (a push to the same destination) */
    DTC_EXIT_IOERR = 74,
    DTC_EXIT_TEMPFAIL = 75,    /* retries exhausted: run again later */
    DTC_EXIT_PROTOCOL = 76,    /* the server refused a request (HTTP 400): the message quotes it */
    DTC_EXIT_NOPERM = 77,      /* credentials refused or scope missing */
    DTC_EXIT_CONFIG = 78,      /* configuration incomplete or wrong */
};

typedef enum opt_type {
    OPT_FLAG,   /* bool */
    OPT_STR,    /* const char * */
    OPT_INT,    /* int */
    OPT_U64,    /* uint64_t */
    OPT_DOUBLE, /* double, e.g. a fault probability */
    OPT_SIZE,   /* size_t, bytes */
    OPT_TIME,   /* int64_t epoch seconds, given as ISO date/date-time or @epoch */
    OPT_LIST,   /* opt_list: a string option that may be given several times */
} opt_type;

#define OPT_LIST_MAX 32
typedef struct opt_list {
    const char *v[OPT_LIST_MAX];
    int n;
} opt_list;

typedef struct opt {
    const char *name; /* long name without dashes */
    opt_type type;
    void *dst;
    const char *metavar;
    const char *help;
} opt;

typedef struct cmd_spec {
    const char *name;
    const char *args;    /* positional arguments for the usage line, or "" */
    const char *summary;
    const opt *opts;     /* terminated by {NULL} */
} cmd_spec;

/* Parse argv (argv[0] is the command name). Positional arguments are moved to
 * the front of argv+1 and counted in *npos. Returns -1 when parsing succeeded,
 * otherwise the exit code to use (0 after --help, 2 on a usage error). */
int opt_parse(const cmd_spec *spec, int argc, char **argv, int *npos);
void opt_help(FILE *out, const cmd_spec *spec);
/* One-line usage error: "dtcost CMD: MESSAGE (try 'dtcost CMD --help')". */
int opt_usage_error(const cmd_spec *spec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The exit code for a library error code (sysexits.h conventions):
 * config 78, credentials 77, retries exhausted 75, database 74,
 * unreachable 69, malformed data 65. */
int opt_exit_for(int rc);

#endif
