#include "dynamic_load.h"

#include <dlfcn.h>
#include <stdio.h>

// Opens the library and looks up each of its functions: 1, or 0 with the
// reason in library->error.
static int open_library(struct dynamic_library *library) {
    // RTLD_LAZY: libcurl brings some 30 libraries whose functions mostly go
    // unused; binding each on first call instead of all at load saves ~1.4 ms
    // of a first request. Every function labsh calls is looked up below, so
    // a library lacking one still fails here, with its name.
    void *lib = dlopen(library->soname, RTLD_LAZY | RTLD_LOCAL);
    if (!lib) {
        snprintf(library->error, sizeof library->error, "%s not found: %s (%s)", library->soname,
                 library->install, dlerror());
        return 0;
    }
    for (size_t i = 0; i < library->count; i++) {
        library->slots[i] = dlsym(lib, library->names[i]);
        if (!library->slots[i]) {
            snprintf(library->error, sizeof library->error, "%s lacks %s%s%s", library->soname,
                     library->names[i], *library->need ? " " : "", library->need);
            return 0;
        }
    }
    return library->ready ? library->ready(library->error, sizeof library->error) : 1;
}

int dynamic_library_load(struct dynamic_library *library) {
    // Once decided, the answer stands: every request asks, only the first pays.
    int state = __atomic_load_n(&library->state, __ATOMIC_ACQUIRE);
    if (state != 0) return state > 0;
    pthread_mutex_lock(&library->lock);
    if (library->state == 0) {
        __atomic_store_n(&library->state, open_library(library) ? 1 : -1, __ATOMIC_RELEASE);
    }
    state = library->state;
    pthread_mutex_unlock(&library->lock);
    return state > 0;
}
