/* store_pg.h: what the PostgreSQL back-end's files share (store_pg.c and
 * store_pg_outbox.c); only they include it. */
#ifndef DTC_STORE_PG_H
#define DTC_STORE_PG_H
#include <libpq-fe.h>
#include <stdbool.h>

#include "store_impl.h"

/* Run sql ($N placeholders) with params as text; *out (when not NULL) gets
 * the result, PQclear it. On failure s->err names `what`: DTC_EDBLOST when
 * the connection is gone, DTC_EDB otherwise. */
int dtc_store__pg_exec(dtc_store *s, const char *sql, const dtc_val *v, int n, const char *what,
                       PGresult **out);
/* A transaction of the operation's own unless the caller's is open: *own
 * says whether one was begun; end commits it (rc 0) or rolls it back keeping
 * the error, and returns the outcome. */
int dtc_store__pg_own_begin(dtc_store *s, bool *own);
int dtc_store__pg_own_end(dtc_store *s, bool own, int rc);
extern const dtc_store_push_ops dtc_store__pg_push;

#endif
