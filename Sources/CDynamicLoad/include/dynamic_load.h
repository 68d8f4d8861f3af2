#ifndef DYNAMIC_LOAD_H
#define DYNAMIC_LOAD_H

#include <stddef.h>

// Opens the shared library `soname` (RTLD_NOW | RTLD_LOCAL) and looks up
// `count` functions: names[i] goes into slots[i]. The shims (libcurl,
// libsqlite3) keep their functions in a struct of function pointers in the
// order of their names and pass it as `slots`: labsh does not link these
// libraries, so start-up never pays for them.
// Returns 1 when every function was found; else 0, with the reason in
// `error`: "SONAME not found: INSTALL (dlerror)" or "SONAME lacks NAME NEED".
int dynamic_load(const char *soname, const char *install, const char *need,
                 const char *const *names, void **slots, size_t count,
                 char *error, size_t error_size);

#endif
