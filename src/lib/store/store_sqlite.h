/* store_sqlite.h: what the SQLite back-end's files share (store_sqlite.c and
 * store_sqlite_outbox.c); only they include it. */
#ifndef DTC_STORE_SQLITE_H
#define DTC_STORE_SQLITE_H
#include <sqlite3.h>

#include "store_impl.h"

/* The connection of an open store. */
sqlite3 *dtc_store__sqlite_db(dtc_store *s);
extern const dtc_store_push_ops dtc_store__sqlite_push;

#endif
