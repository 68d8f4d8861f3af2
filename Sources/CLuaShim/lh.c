#include "lh.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

// ---- Swift callbacks ---------------------------------------------------------

static lh_dispatch_fn g_dispatch;
static lh_release_fn g_release;

void lh_set_callbacks(lh_dispatch_fn dispatch, lh_release_fn release) {
    g_dispatch = dispatch;
    g_release = release;
}

// ---- Allocator with a limit -------------------------------------------------

typedef struct {
    size_t used, limit;
    int host_depth;   // Swift frames on the C stack (trampolines entered)
    int mem_pending;  // the limit was passed while Swift ran: raise on return
} lh_mem;

static lh_mem *mem_of(lua_State *L) {
    void *ud;
    lua_getallocf(L, &ud);
    return (lh_mem *)ud;
}

static void *lh_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    lh_mem *m = (lh_mem *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        m->used -= old;
        return NULL;
    }
    if (m->limit && nsize > old && m->used - old + nsize > m->limit) {
        // Failing here while Swift is on the stack would longjmp across it:
        // let it through and raise once Swift has returned.
        if (m->host_depth > 0) m->mem_pending = 1;
        else return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    m->used = m->used - old + nsize;
    return p;
}

static int lh_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "PANIC: unprotected error in call to Lua API (%s)\n",
            msg ? msg : "error object is not a string");
    return 0;  // abort
}

// ---- Boxes: Swift objects owned by Lua userdata ------------------------------

#define LH_BOX "labsh.Box"

static int box_gc(lua_State *L) {
    void **slot = (void **)lua_touserdata(L, 1);
    if (slot && *slot) {
        void *box = *slot;
        *slot = NULL;
        g_release(box);
    }
    return 0;
}

static int setup_state(lua_State *L) {
    luaL_newmetatable(L, LH_BOX);
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    return 0;
}

lua_State *lh_newstate(void) {
    lh_mem *m = (lh_mem *)calloc(1, sizeof(lh_mem));
    if (m == NULL) return NULL;
    lua_State *L = lua_newstate(lh_alloc, m);
    if (L == NULL) { free(m); return NULL; }
    lua_atpanic(L, lh_panic);
    lh_install_warnings(L);
    lua_pushcfunction(L, setup_state);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) { lh_close(L); return NULL; }
    return L;
}

void lh_set_memory_limit(lua_State *L, size_t limit) { mem_of(L)->limit = limit; }
size_t lh_memory_used(lua_State *L) { return mem_of(L)->used; }
int lh_host_depth(lua_State *L) { return mem_of(L)->host_depth; }

void lh_close(lua_State *L) {
    lh_mem *m = mem_of(L);
    m->limit = 0;  // finalizers may allocate
    lua_close(L);
    free(m);
}

// The one C function behind every Swift function in Lua.
static int lh_trampoline(lua_State *L) {
    void **slot = (void **)lua_touserdata(L, lua_upvalueindex(1));
    lh_mem *m = mem_of(L);
    m->host_depth++;
    int n = g_dispatch(L, *slot);
    m->host_depth--;
    if (m->mem_pending && m->host_depth == 0) {
        m->mem_pending = 0;
        // Ask for more than the limit: Lua raises its own memory error,
        // exactly as if the allocation had failed in Lua code.
        if (m->limit) lua_newuserdatauv(L, m->limit + 1, 0);
        lua_pushliteral(L, "not enough memory");
        return lua_error(L);
    }
    if (n >= 0) return n;
    if (n <= LH_YIELD_BASE) return lua_yield(L, LH_YIELD_BASE - n);
    switch (n) {
    case LH_RAISE_WHERE:
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
        return lua_error(L);
    case LH_RAISE_ARG: {
        int arg = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        return luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    default:
        return lua_error(L);
    }
}

void lh_pushfunction(lua_State *L, void *box) {
    void **slot = (void **)lua_newuserdatauv(L, sizeof(void *), 0);
    *slot = box;
    luaL_setmetatable(L, LH_BOX);
    lua_pushcclosure(L, lh_trampoline, 1);
}

void lh_newtype(lua_State *L, const char *tname) {
    if (luaL_newmetatable(L, tname)) {
        lua_pushcfunction(L, box_gc);
        lua_setfield(L, -2, "__gc");
    }
}

int lh_pushobject(lua_State *L, void *box, const char *tname) {
    if (luaL_getmetatable(L, tname) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    void **slot = (void **)lua_newuserdatauv(L, sizeof(void *), 0);
    *slot = box;
    lua_insert(L, -2);
    lua_setmetatable(L, -2);
    return 1;
}

void *lh_toobject(lua_State *L, int idx, const char *tname) {
    void **slot = (void **)luaL_testudata(L, idx, tname);
    return slot ? *slot : NULL;
}

static void **box_slot(lua_State *L, int idx) {
    void **slot = (void **)lua_touserdata(L, idx);
    if (slot == NULL || lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx))
        return NULL;
    lua_pushliteral(L, "__gc");
    lua_rawget(L, -2);
    int ours = lua_tocfunction(L, -1) == box_gc;
    lua_pop(L, 2);
    return ours ? slot : NULL;
}

void *lh_tobox(lua_State *L, int idx) {
    void **slot = box_slot(L, idx);
    return slot ? *slot : NULL;
}

void lh_clearbox(lua_State *L, int idx) {
    void **slot = box_slot(L, idx);
    if (slot) *slot = NULL;
}

static int indexer(lua_State *L) {  // (object, key)
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    if (lua_isnil(L, lua_upvalueindex(2))) return 1;
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);
    return 1;
}

void lh_pushindexer(lua_State *L, int methods, int getter) {
    methods = lua_absindex(L, methods);
    if (getter) getter = lua_absindex(L, getter);
    lua_pushvalue(L, methods);
    if (getter) lua_pushvalue(L, getter); else lua_pushnil(L);
    lua_pushcclosure(L, indexer, 2);
}

// ---- Protected operations ---------------------------------------------------

int lh_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    lh_mem *m = mem_of(L);
    int saved = m->host_depth;
    m->host_depth = 0;  // Lua runs on its own now: allocation failures may raise
    int status = lua_pcall(L, nargs, nresults, msgh);
    m->host_depth = saved;
    return status;
}

static int p_openlibs(lua_State *L) { luaL_openlibs(L); return 0; }
int lh_openlibs(lua_State *L) {
    lua_pushcfunction(L, p_openlibs);
    return lh_pcall(L, 0, 0, 0);
}

static int p_gettable(lua_State *L) { lua_gettable(L, 1); return 1; }
int lh_gettable(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, p_gettable);
    lua_pushvalue(L, idx);
    lua_pushvalue(L, -3);
    int status = lh_pcall(L, 2, 1, 0);
    lua_remove(L, -2);  // the key
    return status;
}

static int p_settable(lua_State *L) { lua_settable(L, 1); return 0; }
int lh_settable(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, p_settable);
    lua_pushvalue(L, idx);
    lua_rotate(L, -4, 2);  // f t k v
    int status = lh_pcall(L, 3, 0, 0);
    return status;  // on error the message is on top
}

static int p_tolstring(lua_State *L) { luaL_tolstring(L, 1, NULL); return 1; }
int lh_tolstring(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, p_tolstring);
    lua_pushvalue(L, idx);
    return lh_pcall(L, 1, 1, 0);
}

static int p_len(lua_State *L) { lua_pushinteger(L, luaL_len(L, 1)); return 1; }
int lh_len(lua_State *L, int idx, lua_Integer *out) {
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, p_len);
    lua_pushvalue(L, idx);
    int status = lh_pcall(L, 1, 1, 0);
    if (status == LUA_OK) { *out = lua_tointeger(L, -1); lua_pop(L, 1); }
    return status;
}

int lh_msghandler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

#define LH_LAST_TRACEBACK "labsh.lasttraceback"

int lh_errcapture(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    luaL_traceback(L, L, msg, 1);
    lua_pushliteral(L, LH_LAST_TRACEBACK);
    lua_insert(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
    lua_settop(L, 1);
    return 1;
}

void lh_last_traceback(lua_State *L) {
    lua_pushliteral(L, LH_LAST_TRACEBACK);
    lua_rawget(L, LUA_REGISTRYINDEX);
}

void lh_forget_traceback(lua_State *L) {
    lua_pushliteral(L, LH_LAST_TRACEBACK);
    lua_pushnil(L);
    lua_rawset(L, LUA_REGISTRYINDEX);
}

// ---- Warnings ----------------------------------------------------------------

static void warn_off(void *ud, const char *message, int tocont);
static void warn_on(void *ud, const char *message, int tocont);

// "@on" and "@off" switch warnings; other control messages are ignored.
static int warn_control(lua_State *L, const char *message, int tocont) {
    if (tocont || message[0] != '@') return 0;
    if (strcmp(message + 1, "off") == 0) lua_setwarnf(L, warn_off, L);
    else if (strcmp(message + 1, "on") == 0) lua_setwarnf(L, warn_on, L);
    return 1;
}

static void warn_off(void *ud, const char *message, int tocont) {
    warn_control((lua_State *)ud, message, tocont);
}

static void warn_continue(void *ud, const char *message, int tocont) {
    lua_State *L = (lua_State *)ud;
    fputs(message, stderr);
    if (tocont) {
        lua_setwarnf(L, warn_continue, L);
    } else {
        fputs("\n", stderr);
        fflush(stderr);
        lua_setwarnf(L, warn_on, L);
    }
}

static void warn_on(void *ud, const char *message, int tocont) {
    if (warn_control((lua_State *)ud, message, tocont)) return;
    fputs("Lua warning: ", stderr);
    warn_continue(ud, message, tocont);
}

void lh_install_warnings(lua_State *L) { lua_setwarnf(L, warn_off, L); }

// ---- Stopping running code -----------------------------------------------------

static volatile sig_atomic_t g_stop = LH_STOP_NONE;
static volatile sig_atomic_t g_alarms = 0;
static lua_State *volatile g_watched = NULL;
static int g_pipe[2] = {-1, -1};
static double g_timeout = 0;

static const char *stop_message(int reason) {
    switch (reason) {
    case LH_STOP_INTERRUPT: return "interrupted!";
    case LH_STOP_TERMINATE: return "terminated";
    default: return "timeout";
    }
}

static void stop_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    int reason = g_stop;
    if (reason == LH_STOP_NONE) {
        lua_sethook(L, NULL, 0, 0);
        return;
    }
    // Fire again soon: a pcall that swallowed the error must not keep the
    // script alive, but __close handlers get room to run.
    lua_sethook(L, stop_hook, LUA_MASKCOUNT, 1000);
    lua_pushstring(L, stop_message(reason));
    lua_error(L);
}

static void arm_hook(void) {
    lua_State *L = g_watched;
    if (L) lua_sethook(L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static void notify_pipe(void) {
    if (g_pipe[1] >= 0) {
        int saved = errno;
        ssize_t ignored = write(g_pipe[1], "!", 1);
        (void)ignored;
        errno = saved;
    }
}

static void hard_exit(const char *msg, int code) {
    ssize_t ignored = write(2, msg, strlen(msg));
    (void)ignored;
    _exit(code);
}

static void on_signal(int sig) {
    int reason = sig == SIGINT ? LH_STOP_INTERRUPT
               : sig == SIGTERM ? LH_STOP_TERMINATE : LH_STOP_TIMEOUT;
    if (sig == SIGALRM && g_alarms++ > 0)  // the hook could not stop it (C code, a coroutine)
        hard_exit("labsh: timeout (forced exit)\n", 124);
    if (sig == SIGTERM && g_stop == LH_STOP_TERMINATE)
        hard_exit("labsh: terminated\n", 143);
    g_stop = reason;
    arm_hook();
    notify_pipe();
}

void lh_watch_signals(lua_State *L) {
    g_watched = L;
    if (g_pipe[0] < 0 && pipe(g_pipe) == 0) {
        for (int i = 0; i < 2; i++) {
            fcntl(g_pipe[i], F_SETFL, fcntl(g_pipe[i], F_GETFL) | O_NONBLOCK);
            fcntl(g_pipe[i], F_SETFD, FD_CLOEXEC);
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocking read returns so the hook can run
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    // A parent may have left them blocked (the mask is inherited): a job
    // that cannot be stopped is worse than one that stops.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

// pcall and xpcall as the base library has them, except that while a stop
// is pending they do not catch: a timeout or Ctrl-C must reach the top.
static int finish_pcall(lua_State *L, int status, lua_KContext extra) {
    if (status != LUA_OK && status != LUA_YIELD) {
        if (g_stop != LH_STOP_NONE) return lua_error(L);
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - (int)extra;
}

static int stoppable_pcall(lua_State *L) {
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, finish_pcall);
    return finish_pcall(L, status, 0);
}

static int stoppable_xpcall(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);  // f, handler, true, f, args...
    int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, finish_pcall);
    return finish_pcall(L, status, 2);
}

void lh_install_stoppable_pcall(lua_State *L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pushliteral(L, "pcall");
    lua_pushcfunction(L, stoppable_pcall);
    lua_rawset(L, -3);
    lua_pushliteral(L, "xpcall");
    lua_pushcfunction(L, stoppable_xpcall);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

void lh_set_timeout(lua_State *L, double seconds) {
    (void)L;
    struct itimerval t;
    memset(&t, 0, sizeof t);
    g_timeout = seconds;
    g_alarms = 0;
    if (seconds > 0) {
        t.it_value.tv_sec = (time_t)seconds;
        t.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
        if (t.it_value.tv_sec == 0 && t.it_value.tv_usec == 0) t.it_value.tv_usec = 1;
        t.it_interval.tv_sec = 1;  // the second tick is the watchdog
    }
    setitimer(ITIMER_REAL, &t, NULL);
}

int lh_stop_reason(void) { return g_stop; }
double lh_timeout_seconds(void) { return g_timeout; }
int lh_stop_fd(void) { return g_pipe[0]; }

void lh_clear_stop(lua_State *L) {
    g_stop = LH_STOP_NONE;
    if (L) lua_sethook(L, NULL, 0, 0);
    char buf[64];
    if (g_pipe[0] >= 0)
        while (read(g_pipe[0], buf, sizeof buf) > 0) {}
}
