#include "lh.h"
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
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
    int exiting;      // lh_close_at_exit: memory goes back with the process
    lh_pool pool;     // blocks up to LH_POOL_LARGEST bytes
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
        if (!m->exiting) lh_pool_give_back(&m->pool, ptr, old);
        m->used -= old;
        return NULL;
    }
    if (m->limit && nsize > old && m->used - old + nsize > m->limit) {
        // Failing here while Swift is on the stack would longjmp across it:
        // let it through and raise once Swift has returned.
        if (m->host_depth > 0) m->mem_pending = 1;
        else return NULL;
    }
    void *p = lh_pool_resize(&m->pool, ptr, old, nsize);
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
    lh_pool_release(&m->pool);
    free(m);
}

void lh_close_at_exit(lua_State *L) {
    lh_mem *m = mem_of(L);
    m->limit = 0;
    m->exiting = 1;
    lua_close(L);
}

void lh_stop_delivered(lua_State *L);

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
    lh_stop_delivered(L);  // a Swift call that ended because of a stop raises it
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
//
// A signal or the timeout sets g_stop and arms a hook on every thread that
// may be running Lua: the main thread and each coroutine on the current
// resume chain (coroutine.resume and coroutine.wrap are replaced below to
// keep that chain). The hook raises the stop error once; after that it only
// watches, so <close> handlers and message handlers run whole while the
// error goes up. pcall, xpcall, resume and wrap do not catch a pending stop.
// Code that keeps running long after the stop was raised (an error swallowed
// in Swift, say) is stopped again by the watching hook.
//
// A deferred section (lh_run_deferred: rollbacks, the audit's last line)
// holds a stop back until it ends or its time limit passes; a second signal
// ends it at once.

static volatile sig_atomic_t g_stop = LH_STOP_NONE;
static volatile sig_atomic_t g_alarms = 0;
static volatile sig_atomic_t g_delivered = 0;  // the stop error has been raised
static lua_State *volatile g_watched = NULL;
static int g_pipe[2] = {-1, -1};
static double g_timeout = 0;

#define LH_MAX_RUNNING 256
static lua_State *volatile g_running[LH_MAX_RUNNING];  // the resume chain
static volatile sig_atomic_t g_nrunning = 0;

static volatile sig_atomic_t g_defer_depth = 0;
static volatile sig_atomic_t g_defer_abandoned = 0;
static volatile time_t g_defer_until = 0;  // CLOCK_MONOTONIC seconds

// Instructions a stopped script may run after the stop was raised (cleanup,
// handlers) before it is stopped again.
#define LH_WATCH_COUNT 10000000

static time_t monotonic_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static int deferring(void) {
    return g_defer_depth > 0 && !g_defer_abandoned && monotonic_seconds() < g_defer_until;
}

static int stop_pending(void) { return g_stop != LH_STOP_NONE && !deferring(); }

static const char *stop_message(int reason) {
    switch (reason) {
    case LH_STOP_INTERRUPT: return "interrupted!";
    case LH_STOP_TERMINATE: return "terminated";
    default: return "timeout";
    }
}

static void stop_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (g_stop == LH_STOP_NONE) {
        lua_sethook(L, NULL, 0, 0);
        return;
    }
    int armed = lua_gethookcount(L) == 1;  // by a signal, not the watch
    lua_sethook(L, stop_hook, LUA_MASKCOUNT, LH_WATCH_COUNT);
    if (deferring()) return;
    if (armed && g_delivered) return;  // already on its way up: let handlers run
    g_delivered = 1;
    lua_pushstring(L, stop_message(g_stop));
    lua_error(L);
}

static void arm_thread(lua_State *L) {
    if (L) lua_sethook(L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static void arm_hook(void) {
    arm_thread(g_watched);
    int n = g_nrunning;
    for (int i = 0; i < n && i < LH_MAX_RUNNING; i++) arm_thread(g_running[i]);
}

static void notify_pipe(void) {
    if (g_pipe[1] >= 0) {
        int saved = errno;
        ssize_t ignored = write(g_pipe[1], "!", 1);
        (void)ignored;
        errno = saved;
    }
}

static void drain_pipe(void) {
    char buf[64];
    if (g_pipe[0] >= 0)
        while (read(g_pipe[0], buf, sizeof buf) > 0) {}
}

static void hard_exit(const char *msg, int code) {
    ssize_t ignored = write(2, msg, strlen(msg));
    (void)ignored;
    _exit(code);
}

static void on_signal(int sig) {
    int reason = sig == SIGINT ? LH_STOP_INTERRUPT
               : sig == SIGTERM ? LH_STOP_TERMINATE : LH_STOP_TIMEOUT;
    if (g_defer_depth > 0 && !g_defer_abandoned) {
        // A second signal, or the watchdog past the section's limit, ends
        // a deferred section; until then the stop waits for it.
        int again = g_stop != LH_STOP_NONE && sig != SIGALRM;
        if (again || monotonic_seconds() >= g_defer_until) g_defer_abandoned = 1;
        if (g_stop == LH_STOP_NONE) g_stop = reason;
        if (!g_defer_abandoned) {
            if (sig != SIGALRM || g_alarms == 0) {
                static const char note[] = "labsh: stopping after the current rollback or audit step (signal again to stop now)\n";
                ssize_t ignored = write(2, note, sizeof note - 1);
                (void)ignored;
            }
            if (sig == SIGALRM) g_alarms = 1;
            return;
        }
        arm_hook();
        notify_pipe();
        return;
    }
    if (sig == SIGALRM && g_alarms++ > 0)  // the hook could not stop it: C code
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

// The stop error was raised by other means (a Swift function that saw the
// stop): from here the hook of this thread only watches.
void lh_stop_delivered(lua_State *L) {
    if (!stop_pending()) return;
    g_delivered = 1;
    lua_sethook(L, stop_hook, LUA_MASKCOUNT, LH_WATCH_COUNT);
}

// pcall and xpcall as the base library has them, except that while a stop
// is pending they do not catch: a timeout or Ctrl-C must reach the top.
static int finish_pcall(lua_State *L, int status, lua_KContext extra) {
    if (status != LUA_OK && status != LUA_YIELD) {
        if (stop_pending()) return lua_error(L);
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

// coroutine.resume and coroutine.wrap as lcorolib has them, keeping the
// resume chain for the signal handler, and not catching a pending stop.
static int resume_thread(lua_State *L, lua_State *co, int narg) {
    int nres;
    if (!lua_checkstack(co, narg)) {
        lua_pushliteral(L, "too many arguments to resume");
        return -1;
    }
    lua_xmove(L, co, narg);
    int depth = g_nrunning;
    if (depth < LH_MAX_RUNNING) g_running[depth] = co;
    g_nrunning = depth + 1;
    if (stop_pending()) arm_thread(co);
    int status = lua_resume(co, L, narg, &nres);
    g_nrunning = depth;
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            lua_pushliteral(L, "too many results to resume");
            return -1;
        }
        lua_xmove(co, L, nres);
        return nres;
    }
    lua_xmove(co, L, 1);
    return -1;
}

static int stoppable_resume(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    int r = resume_thread(L, co, lua_gettop(L) - 1);
    if (r < 0) {
        if (stop_pending()) return lua_error(L);
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, -(r + 1));
    return r + 1;
}

static int wrapped_call(lua_State *L) {
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int r = resume_thread(L, co, lua_gettop(L));
    if (r < 0) {
        int status = lua_status(co);
        if (status != LUA_OK && status != LUA_YIELD) {  // an error in the coroutine
            status = lua_resetthread(co);  // runs its <close> handlers
            lua_xmove(co, L, 1);
        }
        if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    return r;
}

static int stoppable_wrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, wrapped_call, 1);
    return 1;
}

static void set_field(lua_State *L, const char *name, lua_CFunction f) {
    lua_pushstring(L, name);
    lua_pushcfunction(L, f);
    lua_rawset(L, -3);
}

void lh_install_stoppable_pcall(lua_State *L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    set_field(L, "pcall", stoppable_pcall);
    set_field(L, "xpcall", stoppable_xpcall);
    lua_pushliteral(L, "coroutine");
    if (lua_rawget(L, -2) == LUA_TTABLE) {
        set_field(L, "resume", stoppable_resume);
        set_field(L, "wrap", stoppable_wrap);
    }
    lua_pop(L, 2);
}

// Runs fn(...) with stops held back for at most `seconds` (first argument),
// then lets a held stop go on. Errors of fn propagate; results are returned.
static int run_deferred(lua_State *L) {
    lua_Number seconds = luaL_checknumber(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (!(seconds > 0)) seconds = 0;
    if (seconds > 86400) seconds = 86400;
    time_t outer_until = g_defer_until;
    time_t until = monotonic_seconds() + (time_t)seconds + 1;
    if (g_defer_depth > 0 && outer_until < until) until = outer_until;
    int outer_delivered = g_delivered;
    if (g_defer_depth == 0) {
        g_defer_abandoned = 0;
        drain_pipe();  // a stop already seen must not wake poll loops in here
    }
    g_defer_until = until;
    g_defer_depth++;
    g_delivered = 0;
    int base = 1;
    int status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 0);
    g_defer_depth--;
    g_defer_until = outer_until;
    if (g_defer_depth == 0 && g_stop != LH_STOP_NONE && !outer_delivered) {
        // Hand the held stop on: raise it at the next instruction.
        lua_sethook(L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
        arm_hook();
        notify_pipe();
    } else {
        g_delivered = outer_delivered;  // a stop already on its way up goes on
        if (g_defer_depth == 0 && g_stop != LH_STOP_NONE) notify_pipe();
    }
    if (status != LUA_OK) return lua_error(L);
    return lua_gettop(L) - base;
}

void lh_push_run_deferred(lua_State *L) { lua_pushcfunction(L, run_deferred); }

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

int lh_stop_reason(void) { return stop_pending() ? g_stop : LH_STOP_NONE; }
double lh_timeout_seconds(void) { return g_timeout; }
int lh_stop_fd(void) { return g_pipe[0]; }

void lh_clear_stop(lua_State *L) {
    g_stop = LH_STOP_NONE;
    g_delivered = 0;
    if (L) lua_sethook(L, NULL, 0, 0);
    drain_pipe();
}
