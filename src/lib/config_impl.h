/* config_impl.h: what config.c shares with the modules that own a section of
 * the config file: the item a section owner is handed, the value parsers
 * every owner uses (so "yes", "30s" or "1M" mean the same in every section),
 * and the owners' entry points, which config.c's section table calls. */
#ifndef DTC_CONFIG_IMPL_H
#define DTC_CONFIG_IMPL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtcost/config.h"

/* One `key = value` line of a section, as the loader hands it to the owner. */
typedef struct dtc_config_item {
    const char *section; /* as written: "push slack" */
    const char *name;    /* after the section's kind: "slack"; "" for [serve] and the like */
    const char *key, *value;
    char *why; /* the owner writes its reason for refusing the value here */
    size_t whylen;
} dtc_config_item;

/* An owner's item function returns 0, DTC_ENOTFOUND for a key it does not
 * know (the loader names it), DTC_EINVAL with it->why for a bad value, or
 * DTC_ENOMEM. The value parsers below follow the same rule. */

/* Replace *dst (freed as a possible secret) with a copy of v. */
int dtc_config__set(char **dst, const char *v) DTC_MUST_CHECK;
/* yes/no, true/false, on/off, 1/0 (any case). */
int dtc_config__bool(const dtc_config_item *it, bool *out) DTC_MUST_CHECK;
/* A whole decimal number in [lo, hi]. */
int dtc_config__int(const dtc_config_item *it, long lo, long hi, long *out) DTC_MUST_CHECK;
/* Seconds in [lo, hi]: a whole number with an optional unit s, m, h or d
 * ("90", "90s", "15m", "2h", "1d"). */
int dtc_config__duration(const dtc_config_item *it, long lo, long hi, long *out) DTC_MUST_CHECK;
/* Bytes in [lo, hi]: a whole number with an optional unit K, M or G
 * (powers of 1024; "KiB", "MiB", "GiB" also read). */
int dtc_config__size(const dtc_config_item *it, long lo, long hi, long *out) DTC_MUST_CHECK;
/* A decimal amount in [0, hi] (a price), in micro-units. */
int dtc_config__micros(const dtc_config_item *it, double hi, int64_t *out) DTC_MUST_CHECK;
/* The index of v in names (NULL-terminated). */
int dtc_config__choice(const dtc_config_item *it, const char *const *names,
                       int *out) DTC_MUST_CHECK;

/* Section owners: init gives defaults, item takes one line, finish checks
 * the whole (writing its reason to why). */
void dtc_push__config_init(void *push_config);
int dtc_push__config_item(void *push_config, const dtc_config_item *it);
int dtc_push__serve_item(void *push_config, const dtc_config_item *it);
int dtc_push__config_finish(void *push_config, char *why, size_t whylen);
void dtc_license__config_init(void *license_config);
int dtc_license__config_item(void *license_config, const dtc_config_item *it);
int dtc_license__config_finish(void *license_config, char *why, size_t whylen);
void dtc_allocation__init(void *allocation);
int dtc_allocation__item(void *allocation, const dtc_config_item *it);
void dtc_export__config_init(void *export_config);
int dtc_export__config_item(void *export_config, const dtc_config_item *it);

#endif
