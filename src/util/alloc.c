/* alloc.c: allocation wrappers with failure injection for tests. */
#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown;

void dtc_alloc_fail_at(long nth)
{
    atomic_store(&fail_countdown, nth);
}

long dtc_alloc_fail_pending(void)
{
    return atomic_load(&fail_countdown);
}

static int should_fail(void)
{
    long n = atomic_load(&fail_countdown);
    if (n <= 0) return 0;
    return atomic_fetch_sub(&fail_countdown, 1) == 1;
}

void *dtc_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n ? n : 1);
}

void *dtc_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *dtc_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n ? n : 1);
}

char *dtc_strndup(const char *s, size_t n)
{
    char *d = dtc_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void *dtc_grow(void *p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return p;
    size_t c = *cap ? *cap * 2 : 16;
    void *q = dtc_realloc(p, c * elem);
    if (q) *cap = c;
    return q;
}

char *dtc_strdup(const char *s)
{
    return s ? dtc_strndup(s, strlen(s)) : NULL;
}

void dtc_free(void *p)
{
    free(p);
}

void dtc_free_secret(char *s)
{
    if (!s) return;
    volatile char *p = s; /* volatile: the wipe must not be optimised away */
    while (*p)
        *p++ = '\0';
    free(s);
}
