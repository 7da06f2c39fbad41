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
    DTC_EXIT_BUSY = 73, /* another run holds the lock (a push to the same destination) */
    DTC_EXIT_IOERR = 74,
    DTC_EXIT_TEMPFAIL = 75, /* retries exhausted: run again later */
    DTC_EXIT_PROTOCOL = 76, /* the server refused a request (HTTP 400): the message quotes it */
    DTC_EXIT_NOPERM = 77,   /* credentials refused or scope missing */
    DTC_EXIT_CONFIG = 78,   /* configuration incomplete or wrong */
};

typedef enum opt_type {
    OPT_FLAG,   /* bool */
    OPT_STR,    /* const char * */
    OPT_INT,    /* int */
    OPT_U64,    /* uint64_t */
    OPT_DOUBLE, /* double, e.g. a fault probability */
    OPT_SIZE,   /* size_t, bytes */
    OPT_TIME,   /* int64_t epoch seconds, in any form dtc_parse_when takes */
    OPT_LIST,   /* opt_list: a string option that may be given several times */
    OPT_CHOICE, /* const char *, one of the metavar's '|'-separated words; an
                 * alias of a choice option is a flag naming the word
                 * (--json for --format json) */
} opt_type;

/* The help of every command's --db. */
#define OPT_DB_HELP                                                                                \
    "the database: a SQLite file, sqlite:PATH or postgres://... (or DTCOST_DB; default "           \
    "dtcost.db)"

#define OPT_LIST_MAX 32
typedef struct opt_list {
    const char *v[OPT_LIST_MAX];
    int n;
} opt_list;

typedef struct opt {
    const char *name; /* long name without dashes; "since|from" also takes the
                       * older spelling after the bar */
    opt_type type;
    void *dst;
    const char *metavar;
    const char *help;
} opt;

/* The name of o before any bar, and its older spelling after it (or NULL). */
void opt_name(const opt *o, char out[64]);
const char *opt_alias(const opt *o);

typedef struct cmd_spec {
    const char *name;
    const char *args; /* positional arguments for the usage line, or "" */
    const char *summary;
    const opt *opts; /* terminated by {NULL} */
} cmd_spec;

/* How to tell the user to run dtcost again, from main's argv[0]: "dtcost"
 * when that name on PATH is this very binary (or it was started through
 * PATH), else argv[0] as typed, e.g. "./build/dtcost". */
void opt_set_program(const char *argv0);
const char *opt_program(void);

/* One exit code and what it means, for help and man pages. */
typedef struct opt_exit_doc {
    int code;
    const char *meaning;
} opt_exit_doc;
/* Every exit code above, terminated by {0, NULL} after DTC_EXIT_OK's row. */
extern const opt_exit_doc opt_exit_docs[];

/* The candidate nearest to word by edit distance, when it is close enough to
 * be a likely typo (distance at most 2, and less than half the word); else
 * NULL. cands is a NULL-terminated list. */
const char *opt_suggest(const char *word, const char *const *cands);
/* The value of a choice option was given as one of its words. */
bool opt_is(const char *value, const char *word);

/* Parse argv (argv[0] is the command name). Positional arguments are moved to
 * the front of argv+1 and counted in *npos. Returns -1 when parsing succeeded,
 * otherwise the exit code to use (0 after --help, 2 on a usage error). */
int opt_parse(const cmd_spec *spec, int argc, char **argv, int *npos);
/* The clock "today", "yesterday" and "-30d" count from: DTCOST_NOW (any
 * absolute form dtc_parse_when takes, so tests and docs examples can pin it),
 * else the real clock. */
int64_t opt_now(void);
void opt_help(FILE *out, const cmd_spec *spec);
/* What --help shows for o's value (its metavar, or one from its type) and its
 * default as text (empty when there is none to show). */
const char *opt_metavar(const opt *o);
void opt_default(const opt *o, char *buf, size_t n);
/* One-line usage error: "dtcost CMD: MESSAGE (try 'dtcost CMD --help')". */
int opt_usage_error(const cmd_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The exit code for a library error code (sysexits.h conventions):
 * config 78, credentials 77, retries exhausted 75, database 74,
 * unreachable 69, malformed data 65. */
int opt_exit_for(int rc);

#endif
