// os.execute and io.popen as Lua's, except that a stop reaches their
// children: each child runs in a process group of its own (unless labsh
// owns the terminal, where the child must be in the foreground group to
// read it, as with system()), a stop while os.execute waits ends that
// group, and lh_end_children ends the groups still open when a stopped
// script exits. lab.process does the same for its own children.
#define _GNU_SOURCE  // pipe2
#include "lh.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_CHILDREN 64

typedef struct {
    pid_t pid;
    int group;  // pid is also the id of the child's own process group
    FILE *stream;  // io.popen's end of the pipe, else NULL
} child;

static child g_children[MAX_CHILDREN];

static child *remember(pid_t pid, int group, FILE *stream) {
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (g_children[i].pid == 0) {
            g_children[i] = (child){pid, group, stream};
            return &g_children[i];
        }
    return NULL;  // untracked: still runs and is waited for, as in lua
}

static child *find_stream(FILE *stream) {
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (g_children[i].pid != 0 && g_children[i].stream == stream) return &g_children[i];
    return NULL;
}

static void forget(child *c) {
    if (c) memset(c, 0, sizeof *c);
}

static void signal_child(pid_t pid, int group, int sig) {
    if (group) kill(-pid, sig);
    else kill(pid, sig);
}

// Ends a child: SIGTERM, half a second to go, then SIGKILL for what is left
// of its group. Returns its wait status, or -1 when it was already reaped.
static int end_child(pid_t pid, int group) {
    int status = -1;
    signal_child(pid, group, SIGTERM);
    for (int i = 0; i < 50; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) break;
        struct timespec tick = {0, 10 * 1000 * 1000};
        nanosleep(&tick, NULL);
        status = -1;
    }
    signal_child(pid, group, SIGKILL);
    if (status == -1 && waitpid(pid, &status, 0) != pid) status = -1;
    return status;
}

// Waits for a child; a stop while waiting ends it.
static int wait_child(pid_t pid, int group) {
    int status;
    for (;;) {
        if (waitpid(pid, &status, 0) == pid) return status;
        if (errno != EINTR) return -1;
        if (lh_stop_reason() != LH_STOP_NONE) return end_child(pid, group);
    }
}

// Does labsh own the terminal? Then its children stay in its process group.
static int owns_terminal(void) {
    pid_t fg = tcgetpgrp(STDIN_FILENO);
    return fg != -1 && fg == getpgrp();
}

// Starts `/bin/sh -c command`; `fd`/`target`: a pipe end to put at stdin
// or stdout (-1: none). Returns the pid, or -1 with errno set.
static pid_t spawn_shell(const char *command, int fd, int target, int *group) {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGALRM);
    sigaddset(&defaults, SIGPIPE);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    *group = !owns_terminal();
    if (*group) {
        flags |= POSIX_SPAWN_SETPGROUP;
        posix_spawnattr_setpgroup(&attr, 0);
    }
    posix_spawnattr_setflags(&attr, flags);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    if (fd >= 0) posix_spawn_file_actions_adddup2(&actions, fd, target);
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    pid_t pid;
    int err = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return pid;
}

static int os_execute(lua_State *L) {
    const char *command = luaL_optstring(L, 1, NULL);
    if (command == NULL) {  // is a shell available?
        lua_pushboolean(L, access("/bin/sh", X_OK) == 0);
        return 1;
    }
    int group;
    pid_t pid = spawn_shell(command, -1, -1, &group);
    if (pid < 0) return luaL_execresult(L, -1);
    child *c = remember(pid, group, NULL);
    int status = wait_child(pid, group);
    forget(c);
    if (status != -1) errno = 0;  // luaL_execresult reads errno as a failure
    return luaL_execresult(L, status);
}

static int popen_close(lua_State *L) {
    luaL_Stream *p = (luaL_Stream *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
    child *c = find_stream(p->f);
    pid_t pid = c ? c->pid : 0;
    int group = c ? c->group : 0;
    forget(c);
    fclose(p->f);
    errno = 0;
    int status = pid > 0 ? wait_child(pid, group) : -1;
    if (status != -1) errno = 0;
    return luaL_execresult(L, status);
}

static int io_popen(lua_State *L) {
    const char *command = luaL_checkstring(L, 1);
    const char *mode = luaL_optstring(L, 2, "r");
    luaL_argcheck(L, (mode[0] == 'r' || mode[0] == 'w') && mode[1] == '\0', 2, "invalid mode");
    luaL_Stream *p = (luaL_Stream *)lua_newuserdatauv(L, sizeof(luaL_Stream), 0);
    p->closef = NULL;  // a closed file until the child runs
    luaL_setmetatable(L, LUA_FILEHANDLE);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return luaL_fileresult(L, 0, command);
    int reading = mode[0] == 'r';
    int ours = reading ? fds[0] : fds[1], theirs = reading ? fds[1] : fds[0];
    int group;
    pid_t pid = spawn_shell(command, theirs, reading ? STDOUT_FILENO : STDIN_FILENO, &group);
    int saved = errno;
    close(theirs);
    if (pid < 0) {
        close(ours);
        errno = saved;
        return luaL_fileresult(L, 0, command);
    }
    p->f = fdopen(ours, mode);
    if (p->f == NULL) {
        saved = errno;
        close(ours);
        end_child(pid, group);
        errno = saved;
        return luaL_fileresult(L, 0, command);
    }
    p->closef = popen_close;
    remember(pid, group, p->f);
    return 1;
}

static void replace(lua_State *L, const char *library, const char *name, lua_CFunction f) {
    lua_pushstring(L, library);
    if (lua_rawget(L, -2) == LUA_TTABLE) {
        lua_pushstring(L, name);
        lua_pushcfunction(L, f);
        lua_rawset(L, -3);
    }
    lua_pop(L, 1);
}

void lh_install_children(lua_State *L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    replace(L, "os", "execute", os_execute);
    replace(L, "io", "popen", io_popen);
    lua_pop(L, 1);
}

void lh_end_children(void) {
    for (int i = 0; i < MAX_CHILDREN; i++) {
        child *c = &g_children[i];
        if (c->pid == 0) continue;
        end_child(c->pid, c->group);
        c->pid = -1;  // reaped: popen_close must not wait for it again
    }
}
