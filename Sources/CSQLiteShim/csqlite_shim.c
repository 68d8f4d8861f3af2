#include "csqlite_shim.h"
#include "dynamic_load.h"

#define SQLITE_OPEN_READWRITE 0x00000002
#define SQLITE_OPEN_CREATE    0x00000004
#define SQLITE_OPEN_FULLMUTEX 0x00010000
#define SQLITE_TRANSIENT ((void (*)(void *))-1)

static struct {
    int (*open_v2)(const char *, csqlite_db **, int, const char *);
    int (*close_v2)(csqlite_db *);
    const char *(*errmsg)(csqlite_db *);
    int (*busy_timeout)(csqlite_db *, int);
    int (*prepare_v2)(csqlite_db *, const char *, int, csqlite_stmt **, const char **);
    int (*bind_null)(csqlite_stmt *, int);
    int (*bind_int64)(csqlite_stmt *, int, int64_t);
    int (*bind_double)(csqlite_stmt *, int, double);
    int (*bind_text)(csqlite_stmt *, int, const char *, int, void (*)(void *));
    int (*step)(csqlite_stmt *);
    int (*column_count)(csqlite_stmt *);
    const char *(*column_name)(csqlite_stmt *, int);
    int (*column_type)(csqlite_stmt *, int);
    int64_t (*column_int64)(csqlite_stmt *, int);
    double (*column_double)(csqlite_stmt *, int);
    const unsigned char *(*column_text)(csqlite_stmt *, int);
    int (*column_bytes)(csqlite_stmt *, int);
    int (*finalize)(csqlite_stmt *);
} api;

// The functions of `api`, in its order.
static const char *const api_names[] = {
    "sqlite3_open_v2", "sqlite3_close_v2", "sqlite3_errmsg", "sqlite3_busy_timeout", "sqlite3_prepare_v2",
    "sqlite3_bind_null", "sqlite3_bind_int64", "sqlite3_bind_double", "sqlite3_bind_text", "sqlite3_step",
    "sqlite3_column_count", "sqlite3_column_name", "sqlite3_column_type", "sqlite3_column_int64",
    "sqlite3_column_double", "sqlite3_column_text", "sqlite3_column_bytes", "sqlite3_finalize",
};
_Static_assert(sizeof api == sizeof api_names / sizeof api_names[0] * sizeof(void *), "a name per function of api");

static struct dynamic_library libsqlite3 = {
    .soname = "libsqlite3.so.0", .install = "apt-get install libsqlite3-0", .need = "",
    .names = api_names, .slots = (void **)&api, .count = sizeof api_names / sizeof api_names[0],
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

int csqlite_load(void) { return dynamic_library_load(&libsqlite3) ? 0 : 1; }

const char *csqlite_load_error(void) { return libsqlite3.error; }

int csqlite_open(const char *path, csqlite_db **db) {
    return api.open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
}
int csqlite_close(csqlite_db *db) { return api.close_v2(db); }
const char *csqlite_errmsg(csqlite_db *db) { return api.errmsg(db); }
int csqlite_busy_timeout(csqlite_db *db, int ms) { return api.busy_timeout(db, ms); }
int csqlite_prepare(csqlite_db *db, const char *sql, int len, csqlite_stmt **stmt, const char **tail) {
    return api.prepare_v2(db, sql, len, stmt, tail);
}
int csqlite_bind_null(csqlite_stmt *s, int i) { return api.bind_null(s, i); }
int csqlite_bind_int64(csqlite_stmt *s, int i, int64_t v) { return api.bind_int64(s, i, v); }
int csqlite_bind_double(csqlite_stmt *s, int i, double v) { return api.bind_double(s, i, v); }
int csqlite_bind_text(csqlite_stmt *s, int i, const char *text, int len) {
    return api.bind_text(s, i, text, len, SQLITE_TRANSIENT);
}
int csqlite_step(csqlite_stmt *s) { return api.step(s); }
int csqlite_column_count(csqlite_stmt *s) { return api.column_count(s); }
const char *csqlite_column_name(csqlite_stmt *s, int i) { return api.column_name(s, i); }
int csqlite_column_type(csqlite_stmt *s, int i) { return api.column_type(s, i); }
int64_t csqlite_column_int64(csqlite_stmt *s, int i) { return api.column_int64(s, i); }
double csqlite_column_double(csqlite_stmt *s, int i) { return api.column_double(s, i); }
const unsigned char *csqlite_column_text(csqlite_stmt *s, int i) { return api.column_text(s, i); }
int csqlite_column_bytes(csqlite_stmt *s, int i) { return api.column_bytes(s, i); }
int csqlite_finalize(csqlite_stmt *s) { return api.finalize(s); }
