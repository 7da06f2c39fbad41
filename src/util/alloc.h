/* alloc.h: allocation wrappers, so a test build can fail the Nth allocation. */
#ifndef DTC_ALLOC_H
#define DTC_ALLOC_H
#include <stddef.h>

#include "dtcost/errors.h" /* dtc_free, dtc_free_secret: public, the caller frees what the library returns */

void *dtc_malloc(size_t n);
void *dtc_calloc(size_t count, size_t size);
void *dtc_realloc(void *p, size_t n);
/* Room for one more element in an array of n with *cap allocated: p when
 * there is room, else p grown to twice *cap (16 at first) and *cap updated;
 * NULL when that fails, p still valid. */
void *dtc_grow(void *p, size_t *cap, size_t n, size_t elem);
char *dtc_strdup(const char *s);
char *dtc_strndup(const char *s, size_t n);

/* Make the nth allocation from now on fail (1 = the next one); 0 disables.
 * Only tests call this. Thread-safe. */
void dtc_alloc_fail_at(long nth);
/* Allocations still to come before the armed failure (0: none armed, or it
 * has happened), so a test knows whether its call reached the nth. Tests only. */
long dtc_alloc_fail_pending(void);

#endif
