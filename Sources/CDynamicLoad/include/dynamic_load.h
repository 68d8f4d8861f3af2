#ifndef DYNAMIC_LOAD_H
#define DYNAMIC_LOAD_H

#include <pthread.h>
#include <stddef.h>

// A shared library a shim opens with dlopen on first use (libcurl,
// libsqlite3): labsh does not link these libraries, so start-up never pays
// for them. A shim keeps its functions in a struct of function pointers in
// the order of `names` and passes that struct as `slots`.
struct dynamic_library {
    const char *soname;        // "libcurl.so.4"
    const char *install;       // how to get it: "apt-get install libcurl4"
    const char *need;          // said after a missing function ("(libcurl 7.66 or later needed)"), or ""
    const char *const *names;  // the functions to look up...
    void **slots;              // ...and where each one goes
    size_t count;
    // Run once when every function was found (curl_global_init), or NULL:
    // returns 1, or 0 with the reason written into `error`.
    int (*ready)(char *error, size_t error_size);

    // The outcome, kept for every later call: set by dynamic_library_load.
    pthread_mutex_t lock;      // PTHREAD_MUTEX_INITIALIZER
    int state;                 // 0 not tried yet, 1 loaded, -1 failed
    char error[512];           // why it failed
};

// Opens `library` on the first call (thread-safe); later calls give the
// same answer. Returns 1 when loaded; else 0, with the reason in
// library->error: "SONAME not found: INSTALL (dlerror)", "SONAME lacks NAME
// NEED" or what `ready` said.
int dynamic_library_load(struct dynamic_library *library);

#endif
