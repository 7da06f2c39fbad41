/* testdb.h: the throwaway database file of a unit test that opens a store:
 * a name per test program and process, and its removal with SQLite's -wal
 * and -shm beside it. Header only: every .c file of tests/unit is a test
 * program of its own. */
#ifndef DTC_TEST_DB_H
#define DTC_TEST_DB_H
#include <stdio.h>
#include <unistd.h>

/* Remove the database file at path with its -wal and -shm. */
static inline void testdb_remove(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[300];
    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
        unlink(p);
    }
}

/* /tmp/dtcost-unit-NAME-PID.db into out, with any leftover removed. */
static inline void testdb_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "/tmp/dtcost-unit-%s-%d.db", name, (int)getpid());
    testdb_remove(out);
}

#endif
