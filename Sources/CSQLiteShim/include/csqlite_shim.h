// CSQLiteShim: libsqlite3 loaded with dlopen on first use, so labsh does not
// map it at start-up (only the job history uses it). No sqlite3.h is needed:
// the few types are opaque here and the constants are SQLite's stable ABI.
#ifndef CSQLITE_SHIM_H
#define CSQLITE_SHIM_H

#include <stdint.h>

typedef struct csqlite_db csqlite_db;
typedef struct csqlite_stmt csqlite_stmt;

enum {
    CSQLITE_OK = 0, CSQLITE_ROW = 100, CSQLITE_DONE = 101,
    CSQLITE_INTEGER = 1, CSQLITE_FLOAT = 2, CSQLITE_TEXT = 3, CSQLITE_BLOB = 4, CSQLITE_NULL = 5,
};

// Loads libsqlite3.so.0 once (thread-safe). 0 on success; otherwise nonzero
// and csqlite_load_error() says why.
int csqlite_load(void);
const char *csqlite_load_error(void);

// Thin wrappers over the sqlite3_* functions of the same names.
int csqlite_open(const char *path, csqlite_db **db);  // read-write, create
int csqlite_close(csqlite_db *db);
const char *csqlite_errmsg(csqlite_db *db);
int csqlite_busy_timeout(csqlite_db *db, int ms);
int csqlite_prepare(csqlite_db *db, const char *sql, int len, csqlite_stmt **stmt, const char **tail);
int csqlite_bind_null(csqlite_stmt *s, int i);
int csqlite_bind_int64(csqlite_stmt *s, int i, int64_t v);
int csqlite_bind_double(csqlite_stmt *s, int i, double v);
int csqlite_bind_text(csqlite_stmt *s, int i, const char *text, int len);  // copied (SQLITE_TRANSIENT)
int csqlite_step(csqlite_stmt *s);
int csqlite_column_count(csqlite_stmt *s);
const char *csqlite_column_name(csqlite_stmt *s, int i);
int csqlite_column_type(csqlite_stmt *s, int i);
int64_t csqlite_column_int64(csqlite_stmt *s, int i);
double csqlite_column_double(csqlite_stmt *s, int i);
const unsigned char *csqlite_column_text(csqlite_stmt *s, int i);
int csqlite_column_bytes(csqlite_stmt *s, int i);
int csqlite_finalize(csqlite_stmt *s);

#endif
