#include "dynamic_load.h"

#include <dlfcn.h>
#include <stdio.h>

int dynamic_load(const char *soname, const char *install, const char *need,
                 const char *const *names, void **slots, size_t count,
                 char *error, size_t error_size) {
    // RTLD_LAZY: libcurl brings some 30 libraries whose functions mostly go
    // unused; binding each on first call instead of all at load saves ~1.4 ms
    // of a first request. Every function labsh calls is looked up below, so
    // a library lacking one still fails here, with its name.
    void *lib = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
    if (!lib) {
        snprintf(error, error_size, "%s not found: %s (%s)", soname, install, dlerror());
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        slots[i] = dlsym(lib, names[i]);
        if (!slots[i]) {
            snprintf(error, error_size, "%s lacks %s%s%s", soname, names[i], *need ? " " : "", need);
            return 0;
        }
    }
    return 1;
}
