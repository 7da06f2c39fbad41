/* testdb.h: the throwaway database file of a unit test that opens a store:
 * a name per test program and process, and its removal with SQLite's -wal
 * and -shm beside it. Header only: every .c file of tests/unit is a test
 * program of its own. */
#ifndef DTC_TEST_DB_H
#define DTC_TEST_DB_H
#include <glob.h>
#include <stdio.h>
#include <unistd.h>

#include "dtcost/store.h"

/* Remove the database file at path with its -wal and -shm, and the lock
 * files the store's named locks (a sync's account, a push's destination)
 * leave beside it (PATH-lock-HASH.lock). */
static inline void testdb_remove(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[300];
    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
        unlink(p);
    }
    snprintf(p, sizeof(p), "%s-lock-*.lock", path);
    glob_t g;
    if (glob(p, 0, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++)
            unlink(g.gl_pathv[i]);
    globfree(&g);
}

/* /tmp/dtcost-unit-NAME-PID.db into out, with any leftover removed. */
static inline void testdb_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "/tmp/dtcost-unit-%s-%d.db", name, (int)getpid());
    testdb_remove(out);
}

/* A new store at /tmp/dtcost-unit-NAME-PID.db, its path in path (size n):
 * the store, or NULL when it cannot be opened (the test asserts). */
static inline dtc_store *testdb_open(char *path, size_t n, const char *name)
{
    dtc_store *s = NULL;
    char err[256];
    testdb_path(path, n, name);
    return dtc_store_open(&s, path, err, sizeof(err)) == 0 ? s : NULL;
}

/* Close s and remove its files. */
static inline void testdb_close(dtc_store *s, const char *path)
{
    dtc_store_close(s);
    testdb_remove(path);
}

#endif
