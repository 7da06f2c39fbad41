/* chargeback.h: who pays for what. The [allocation] section of the config
 * maps environments (by id or name) and capabilities to teams or cost
 * centres; costs marked shared are split among the teams, evenly or in
 * proportion to what each team costs directly. Every micro-unit of the total
 * lands on exactly one team: the rounding remainder goes to the largest
 * fractional shares, and cost no rule matches stays visible as
 * "(unallocated)". Syntax and examples: docs/report.md. */
#ifndef DTCOST_CHARGEBACK_H
#define DTCOST_CHARGEBACK_H
#include <stddef.h>
#include <stdint.h>

#include "dtcost/errors.h"
#include "dtcost/store.h"

#define DTC_UNALLOCATED "(unallocated)"

typedef enum { DTC_SPLIT_PROPORTIONAL, DTC_SPLIT_EVEN } dtc_split;

typedef struct dtc_alloc_rule {
    char *team;     /* NULL for a shared rule */
    char *pattern;  /* fnmatch pattern on the environment id or name, or on the capability key */
    int capability; /* 1: the pattern is for capability keys */
} dtc_alloc_rule;

typedef struct dtc_allocation {
    dtc_alloc_rule *rules; /* in file order; capability rules win over environment rules */
    size_t nrules;
    dtc_split split;
    char err[512];
} dtc_allocation;

typedef struct dtc_charge {
    char team[128], currency[8];
    int64_t direct, shared, total; /* micro-units; total = direct + shared */
} dtc_charge;

/* The [allocation] section is read by dtc_config_file_load (config.h) with
 * its allocation member pointing here; no section: no rules, all cost is
 * unallocated. */
void dtc_allocation_dispose(dtc_allocation *a);

/* Charge the environment costs in s of days [from, to] (days since the
 * epoch) to teams by a's rules, per currency: *out (dtc_free) holds *n rows
 * sorted by currency, then total, largest first, with "(unallocated)" last;
 * per currency the totals add up exactly to the environment costs of the
 * range. a is the handle (it comes first): on failure the detail is in
 * a->err, also for a store error. DTC_EDB, DTC_ENOMEM, or DTC_EINVAL for
 * shared cost in more than 16 currencies. */
int dtc_chargeback(dtc_allocation *a, dtc_charge **out, size_t *n, dtc_store *s, int64_t from,
                   int64_t to) DTC_MUST_CHECK;

#endif
