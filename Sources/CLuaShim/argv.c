// The Swift runtime's two command-line entry points, defined here so that a
// statically linked labsh does not take the runtime's own: on Linux that
// file reads and parses /proc/self/maps in a global constructor to find
// argv on the stack (about 100K instructions and six system calls, before
// main, in every run). glibc hands argc and argv to each .init_array
// function: they are kept from there.
//
// The runtime declares both with the Swift calling convention; for these
// parameters (a pointer; a pointer and an int) it passes them as C does.
// If the runtime's file were linked in all the same (another symbol of it
// needed), the link would fail on a duplicate: no silent second copy. A
// dynamically linked labsh (the debug build) keeps the runtime's own.
#include <stddef.h>

static char **saved_argv;
static int saved_argc;
static char **override_argv;
static int override_argc;

static void capture_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}

__attribute__((section(".init_array"), used)) static void (*const capture_entry)(int, char **, char **) =
    capture_arguments;

__attribute__((swiftcall)) char **_swift_stdlib_getUnsafeArgvArgc(int *outArgLen) {
    static char *empty[] = {NULL};
    if (override_argv) {
        *outArgLen = override_argc;
        return override_argv;
    }
    *outArgLen = saved_argv ? saved_argc : 0;
    return saved_argv ? saved_argv : empty;
}

__attribute__((swiftcall)) void _swift_stdlib_overrideUnsafeArgvArgc(char **argv, int argc) {
    override_argv = argv;
    override_argc = argc;
}
