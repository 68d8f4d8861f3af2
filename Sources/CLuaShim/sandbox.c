// An inventory file is data, written by someone else, read at 3 a.m. by
// root. It is evaluated in a lua_State of its own, never in labsh's:
//
// - nothing it changes (library tables, metatables, globals) exists outside
//   that state, which is closed once the data is read;
// - it gets only the pure libraries: base without load/loadfile/dofile/
//   print/warn/collectgarbage, string without dump, table, math, utf8 (no
//   io, os, debug, package, coroutine, and no bytecode);
// - its own allocator caps its memory, a count hook its time; a watchdog
//   thread ends labsh if it is stuck in a C function past the budget.
//   Time is the evaluating thread's user CPU time, not the wall clock: a
//   busy machine (cron jobs, a CI run) must not turn a slow file into a
//   refused one, and a file cannot wait without using CPU (it has no I/O).
//   Kernel time is left out of the budget because it varies tenfold with
//   the machine's state (page faults, huge-page compaction), not with the
//   file; the memory cap bounds it. The watchdog, which can only read the
//   thread's whole CPU clock, gives that kernel time a generous grace;
// - what it returns must be plain data (strings, numbers, booleans, tables
//   without metatables or cycles): anything else is refused with the key
//   path where it was found. The caller then reads it in place (the model
//   reader, raw API only) or has parts copied into its own state.
//
// Everything that can raise runs under lua_pcall in the sandbox; nothing
// here raises in the caller's state, so Swift may call it directly.
#define _GNU_SOURCE  // RUSAGE_THREAD
#include "lh_sandbox.h"
#include "lh.h"
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define HOOK_EVERY 1000        // instructions between two looks at the clock
#define WATCHDOG_GRACE 2.0     // CPU seconds past the budget before labsh is ended
#define STOP_GRACE 1.0         // seconds after a stop before labsh is ended
#define MAX_DEPTH 100          // tables nested deeper are not an inventory
#define MAX_MESSAGE 4096       // bytes of an error message kept

// ---- Budget: memory and time --------------------------------------------------

typedef struct {
    size_t used, limit;
    lh_pool pool;             // small blocks, as labsh's own state has them (pool.h)
    int over;                 // an allocation was refused at the cap
    int expired;              // the time budget ran out
    int stopped;              // labsh was asked to stop (lh_stop_reason)
    double seconds;           // of user CPU time
    // The watchdog, armed when the file can first call a library function
    // (open_libraries): before, all it runs is counted by the hook.
    int watched;              // armed for this evaluation
    clockid_t clock;          // the evaluating thread's CPU clock
    struct timespec deadline; // the budget and its grace, on that clock
    const char *name;         // the file
    double budget_seconds;    // the budget as given, for the message
} budget;

static void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    budget *b = (budget *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        lh_pool_give_back(&b->pool, ptr, old);
        b->used -= old;
        return NULL;
    }
    if (nsize > old && b->used - old + nsize > b->limit) {
        b->over = 1;
        return NULL;  // Lua raises "not enough memory" in the sandbox
    }
    void *p = lh_pool_resize(&b->pool, ptr, old, nsize);
    if (p == NULL) return NULL;
    b->used = b->used - old + nsize;
    return p;
}

static budget *budget_of(lua_State *S) {
    void *ud;
    lua_getallocf(S, &ud);
    return (budget *)ud;
}

static struct timespec after(clockid_t clock, double seconds) {
    struct timespec t;
    clock_gettime(clock, &t);
    time_t whole = (time_t)seconds;
    long nanos = t.tv_nsec + (long)((seconds - (double)whole) * 1e9);
    t.tv_sec += whole + nanos / 1000000000L;
    t.tv_nsec = nanos % 1000000000L;
    return t;
}

static double user_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_THREAD, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6;
}

static int passed(clockid_t clock, const struct timespec *deadline) {
    struct timespec now;
    clock_gettime(clock, &now);
    return now.tv_sec > deadline->tv_sec ||
           (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static void budget_hook(lua_State *S, lua_Debug *ar) {
    (void)ar;
    budget *b = budget_of(S);
    if (lh_stop_reason() != LH_STOP_NONE) b->stopped = 1;
    else if (user_seconds() > b->seconds) b->expired = 1;
    if (!b->stopped && !b->expired) return;
    // From now on every instruction raises: a pcall in the file that
    // caught this error cannot keep it running.
    lua_sethook(S, budget_hook, LUA_MASKCOUNT, 1);
    lua_pushstring(S, b->stopped ? "stopped" : "out of time");
    lua_error(S);
}

// ---- Watchdog: code stuck in C (a pattern that backtracks for hours) ---------
//
// One thread for the process, started by the first evaluation and parked
// between evaluations: a thread started and joined for each file cost more
// than reading a small one (a library script with grants reads two), and on
// a busy machine the join waited for the scheduler. It blocks every signal,
// so Ctrl-C and labsh's timers reach the thread that runs Lua.

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;       // on CLOCK_MONOTONIC (watchdog_init)
    int started;               // the thread runs
    int armed;                 // an evaluation is being watched
    unsigned long evaluation;  // counts evaluations: a stop seen belongs to one
    clockid_t clock;           // the evaluating thread's CPU clock
    struct timespec deadline;  // budget + grace, on that clock
    char name[256];            // the file, for the message
    double seconds;
} wd = {.lock = PTHREAD_MUTEX_INITIALIZER};
static pthread_once_t wd_once = PTHREAD_ONCE_INIT;

static void forced_exit(const char *name, double seconds, int reason) {
    char msg[512];
    int code = 1;
    if (reason == LH_STOP_INTERRUPT) code = 130;
    else if (reason == LH_STOP_TERMINATE) code = 143;
    else if (reason == LH_STOP_TIMEOUT) code = 124;
    if (reason == LH_STOP_NONE)
        snprintf(msg, sizeof msg, "labsh: %s: took more than %g s of CPU time to evaluate (stuck in a library function; forced exit)\n",
                 name, seconds);
    else
        snprintf(msg, sizeof msg, "labsh: stopped while evaluating %s (stuck in a library function; forced exit)\n", name);
    ssize_t ignored = write(2, msg, strlen(msg));
    (void)ignored;
    _exit(code);
}

static void *watch(void *arg) {
    (void)arg;
    struct timespec stop_deadline = {0, 0};
    int stop_seen = 0;
    unsigned long evaluation = 0;
    pthread_mutex_lock(&wd.lock);
    for (;;) {
        if (!wd.armed) {  // parked until the next evaluation
            pthread_cond_wait(&wd.wake, &wd.lock);
            continue;
        }
        if (evaluation != wd.evaluation) {  // a new evaluation: no stop seen yet
            evaluation = wd.evaluation;
            stop_seen = 0;
        }
        // Wake every 100 ms to see a stop (Ctrl-C) and the CPU clock.
        struct timespec tick = after(CLOCK_MONOTONIC, 0.1);
        pthread_cond_timedwait(&wd.wake, &wd.lock, &tick);
        if (!wd.armed || evaluation != wd.evaluation) continue;
        int reason = lh_stop_reason();
        if (reason != LH_STOP_NONE && !stop_seen) {
            stop_seen = 1;
            stop_deadline = after(CLOCK_MONOTONIC, STOP_GRACE);
        }
        if (stop_seen && passed(CLOCK_MONOTONIC, &stop_deadline)) forced_exit(wd.name, wd.seconds, reason);
        if (passed(wd.clock, &wd.deadline)) forced_exit(wd.name, wd.seconds, LH_STOP_NONE);
    }
    return NULL;
}

static void watchdog_init(void) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wd.wake, &attr);
    pthread_condattr_destroy(&attr);
}

// Watches the evaluation running on this thread (its CPU clock `clock`):
// past `deadline` on that clock, or a stop's grace, labsh ends (`seconds`,
// the budget, for the message). 0 when no watchdog could be started.
static int watchdog_arm(clockid_t clock, struct timespec deadline, const char *name, double seconds) {
    pthread_once(&wd_once, watchdog_init);
    pthread_mutex_lock(&wd.lock);
    if (!wd.started) {
        sigset_t all, before;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &before);  // the new thread inherits it
        pthread_t thread;
        wd.started = pthread_create(&thread, NULL, watch, NULL) == 0;
        pthread_sigmask(SIG_SETMASK, &before, NULL);
        if (wd.started) pthread_detach(thread);
    }
    if (wd.started) {
        wd.clock = clock;
        wd.deadline = deadline;
        snprintf(wd.name, sizeof wd.name, "%s", name);
        wd.seconds = seconds;
        wd.evaluation++;
        wd.armed = 1;
        pthread_cond_signal(&wd.wake);
    }
    int armed = wd.started;
    pthread_mutex_unlock(&wd.lock);
    return armed;
}

// The evaluation is over: the thread parks at its next look.
static void watchdog_disarm(void) {
    pthread_mutex_lock(&wd.lock);
    wd.armed = 0;
    pthread_mutex_unlock(&wd.lock);
}

// ---- The sandbox state ----------------------------------------------------------

static int sandbox_panic(lua_State *S) {
    (void)S;
    fputs("labsh: unprotected error in the inventory sandbox\n", stderr);
    return 0;  // abort: every call into the sandbox is protected
}

// setmetatable, refusing __gc: finalizers run with hooks off, outside any
// budget, so an object with one could loop forever when the state closes.
static int safe_setmetatable(lua_State *S) {
    if (lua_type(S, 2) == LUA_TTABLE) {
        lua_pushliteral(S, "__gc");
        if (lua_rawget(S, 2) != LUA_TNIL)
            return luaL_error(S, "__gc metamethods are not available in an inventory");
        lua_pop(S, 1);
    }
    lua_pushvalue(S, lua_upvalueindex(1));
    lua_insert(S, 1);
    lua_call(S, lua_gettop(S) - 1, 1);
    return 1;
}

// The libraries open when the file first needs one: most data files (a
// grants file, a library's name) are one table constructor that names no
// global, and opening the libraries cost more than reading the file. The
// first global the file reads, or a string's first method or arithmetic
// ("10" + 1 is the string library's in Lua 5.4), opens them all, as they
// always were: what a file must not have is taken out before the file can
// see it, and the globals it set before stay its own.

static const char libraries_opened[] = "labsh.libraries";  // registry: true once open

// Every field of the table at `from` into the table at `to`, raw.
static void copy_fields(lua_State *S, int from, int to) {
    lua_pushnil(S);
    while (lua_next(S, from)) {
        lua_pushvalue(S, -2);
        lua_insert(S, -2);
        lua_rawset(S, to);
    }
}

static void open_libraries(lua_State *S) {
    if (lua_getfield(S, LUA_REGISTRYINDEX, libraries_opened) != LUA_TNIL) {
        lua_pop(S, 1);
        return;
    }
    lua_pop(S, 1);
    // From here the file can sit in a library function the hook cannot see
    // into (a pattern that backtracks for hours): the watchdog looks on.
    budget *b = budget_of(S);
    if (!b->watched) b->watched = watchdog_arm(b->clock, b->deadline, b->name, b->budget_seconds);
    lua_pushboolean(S, 1);
    lua_setfield(S, LUA_REGISTRYINDEX, libraries_opened);
    lua_pushglobaltable(S);
    int g = lua_gettop(S);
    lua_pushnil(S);
    lua_setmetatable(S, g);  // _G as it always was: no metatable
    lua_newtable(S);  // the file's own globals so far (luaopen_base would write over its `next`)
    int own = g + 1;
    copy_fields(S, g, own);
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},  // string: strings' metatable too
        {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL},
    };
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(S, lib->name, lib->func, 1);
        lua_pop(S, 1);
    }
    // What reaches files, loads code, prints, or steers the collector.
    static const char *const removed[] = {
        "dofile", "loadfile", "load", "require", "print", "warn", "collectgarbage", NULL,
    };
    for (const char *const *name = removed; *name; name++) {
        lua_pushnil(S);
        lua_setfield(S, g, *name);
    }
    lua_getfield(S, g, "setmetatable");
    lua_pushcclosure(S, safe_setmetatable, 1);
    lua_setfield(S, g, "setmetatable");
    lua_getfield(S, g, LUA_STRLIBNAME);
    lua_pushnil(S);
    lua_setfield(S, -2, "dump");
    lua_pop(S, 1);
    copy_fields(S, own, g);
    lua_settop(S, g - 1);
}

// _G's first __index(_G, name): the libraries open, then _G answers.
static int open_on_global(lua_State *S) {
    open_libraries(S);
    lua_settop(S, 2);
    lua_rawget(S, 1);
    return 1;
}

// Strings' first __index(s, key): the libraries open (string's own
// metatable takes over), then the string answers.
static int open_on_method(lua_State *S) {
    open_libraries(S);
    lua_settop(S, 2);
    lua_gettable(S, 1);
    return 1;
}

// Strings' first arithmetic metamethods; upvalue: the event's name. The
// libraries open, then string's own metamethod does the arithmetic.
static int open_on_arithmetic(lua_State *S) {
    int n = lua_gettop(S);
    open_libraries(S);
    lua_pushliteral(S, "");
    lua_getmetatable(S, -1);
    lua_getfield(S, -1, lua_tostring(S, lua_upvalueindex(1)));
    lua_insert(S, 1);
    lua_settop(S, n + 1);
    lua_call(S, n, 1);
    return 1;
}

static void open_pure_libraries(lua_State *S) {
    lua_pushglobaltable(S);
    lua_createtable(S, 0, 1);
    lua_pushcfunction(S, open_on_global);
    lua_setfield(S, -2, "__index");
    lua_setmetatable(S, -2);
    lua_pop(S, 1);
    static const char *const arithmetic[] = {
        "__add", "__sub", "__mul", "__mod", "__pow", "__div", "__idiv", "__unm", NULL,
    };
    lua_pushliteral(S, "");
    lua_createtable(S, 0, 9);
    lua_pushcfunction(S, open_on_method);
    lua_setfield(S, -2, "__index");
    for (const char *const *event = arithmetic; *event; event++) {
        lua_pushstring(S, *event);
        lua_pushcclosure(S, open_on_arithmetic, 1);
        lua_setfield(S, -2, *event);
    }
    lua_setmetatable(S, -2);
    lua_pop(S, 1);
}

typedef struct {
    const char *text;
    size_t length;
    const char *name;
} source;

// In the sandbox, under lua_pcall: open libraries, compile (text only), run.
static int sandbox_main(lua_State *S) {
    const source *src = (const source *)lua_touserdata(S, 1);
    open_pure_libraries(S);
    const char *chunkname = lua_pushfstring(S, "@%s", src->name);
    if (luaL_loadbufferx(S, src->text, src->length, chunkname, "t") != LUA_OK) {
        lua_pushboolean(S, 0);  // marks a syntax error for the caller
        lua_insert(S, -2);
        return 2;
    }
    lua_sethook(S, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
    lua_call(S, 0, 1);
    lua_sethook(S, NULL, 0, 0);
    lua_pushboolean(S, 1);
    lua_insert(S, -2);
    return 2;
}

// ---- Copying plain data out -------------------------------------------------------

// A table met again is checked (or copied) again, as the model reads it
// anyway: its size is counted against the memory budget, so a few tables
// that refer to each other many times over cannot expand into gigabytes.
typedef struct {
    int type;  // of the key
    const char *s;
    size_t len;
    lua_Integer i;
    lua_Number n;
} step;

typedef struct {
    lua_State *from, *to;           // `to` NULL: only check
    size_t bytes, limit;            // the copy's estimated size, and its cap
    int depth;
    const void *open[MAX_DEPTH];   // the tables being copied, outermost first
    step path[MAX_DEPTH];           // the key taken at each depth
    char why[128];
} copier;

enum { COPIED = 0, REFUSED = -1, TOO_BIG = -2 };

static int refuse(copier *c, const char *why) {
    snprintf(c->why, sizeof c->why, "%s", why);
    return REFUSED;
}

static int count(copier *c, size_t bytes) {
    c->bytes += bytes;
    return c->bytes > c->limit ? TOO_BIG : COPIED;
}

static int copy_value(copier *c, int idx);

static int record_key(copier *c, int idx) {
    step *s = &c->path[c->depth];
    s->type = lua_type(c->from, idx);
    switch (s->type) {
    case LUA_TSTRING: s->s = lua_tolstring(c->from, idx, &s->len); return COPIED;
    case LUA_TNUMBER:
        if (lua_isinteger(c->from, idx)) s->i = lua_tointeger(c->from, idx);
        else { s->n = lua_tonumber(c->from, idx); s->type = -LUA_TNUMBER; }
        return COPIED;
    case LUA_TBOOLEAN: s->i = lua_toboolean(c->from, idx); return COPIED;
    default:
        snprintf(c->why, sizeof c->why, "%s keys cannot be inventory data", lua_typename(c->from, s->type));
        return REFUSED;
    }
}

static int copy_table(copier *c, int idx) {
    lua_State *from = c->from, *to = c->to;
    if (c->depth >= MAX_DEPTH) return refuse(c, "tables are nested too deep to be inventory data");
    if (!lua_checkstack(from, 4) || (to && !lua_checkstack(to, 4))) return refuse(c, "tables are nested too deep");
    if (lua_getmetatable(from, idx)) {
        lua_pop(from, 1);
        return refuse(c, "a table with a metatable cannot be inventory data");
    }
    const void *self = lua_topointer(from, idx);
    for (int d = 0; d < c->depth; d++)
        if (c->open[d] == self) return refuse(c, "a table that contains itself (a cycle) cannot be inventory data");
    c->open[c->depth] = self;

    if (to) {  // sized once: no rehash while filling
        int items = (int)lua_rawlen(from, idx), fields = 0;
        lua_pushnil(from);
        while (lua_next(from, idx)) {
            lua_pop(from, 1);
            fields++;
        }
        lua_createtable(to, items, fields > items ? fields - items : 0);
    }
    int status = count(c, 56);
    if (status != COPIED) return status;
    lua_pushnil(from);
    while (lua_next(from, idx)) {
        int key = lua_gettop(from) - 1;
        if ((status = count(c, 32)) != COPIED) return status;
        if ((status = record_key(c, key)) != COPIED) return status;
        c->depth++;
        if (to) copy_value(c, key);  // a plain key: cannot be refused
        if ((status = copy_value(c, lua_gettop(from))) != COPIED) return status;
        c->depth--;
        if (to) lua_rawset(to, -3);
        lua_pop(from, 1);
    }
    return COPIED;
}

static int copy_value(copier *c, int idx) {
    lua_State *from = c->from, *to = c->to;
    switch (lua_type(from, idx)) {
    case LUA_TNIL: if (to) lua_pushnil(to); return COPIED;
    case LUA_TBOOLEAN: if (to) lua_pushboolean(to, lua_toboolean(from, idx)); return COPIED;
    case LUA_TNUMBER:
        if (!to) return COPIED;
        if (lua_isinteger(from, idx)) lua_pushinteger(to, lua_tointeger(from, idx));
        else lua_pushnumber(to, lua_tonumber(from, idx));
        return COPIED;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(from, idx, &n);
        if (count(c, 24 + n) != COPIED) return TOO_BIG;
        if (to) lua_pushlstring(to, s, n);
        return COPIED;
    }
    case LUA_TTABLE: return copy_table(c, idx);
    default:
        snprintf(c->why, sizeof c->why, "%s values cannot be inventory data", luaL_typename(from, idx));
        return REFUSED;
    }
}

static int is_letter(char ch) { return ch == '_' || ((ch | 32) >= 'a' && (ch | 32) <= 'z'); }

static int is_name(const char *s, size_t n) {
    if (n == 0 || !is_letter(s[0])) return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_letter(s[i]) && !(s[i] >= '0' && s[i] <= '9')) return 0;
    return 1;
}

// "nodes[3].name", as the model's own errors write key paths.
static void push_path(lua_State *L, const copier *c) {
    luaL_Buffer buf;
    luaL_buffinit(L, &buf);
    if (c->depth == 0) luaL_addstring(&buf, "(top level)");
    for (int d = 0; d < c->depth; d++) {
        const step *s = &c->path[d];
        char number[64];
        switch (s->type) {
        case LUA_TSTRING:
            if (is_name(s->s, s->len)) {
                if (d > 0) luaL_addchar(&buf, '.');
                luaL_addlstring(&buf, s->s, s->len);
            } else {
                luaL_addstring(&buf, "[\"");
                for (size_t i = 0; i < s->len; i++) {
                    unsigned char ch = (unsigned char)s->s[i];
                    if (ch == '"' || ch == '\\') { luaL_addchar(&buf, '\\'); luaL_addchar(&buf, (char)ch); }
                    else if (ch < 32 || ch == 127) { snprintf(number, sizeof number, "\\%d", ch); luaL_addstring(&buf, number); }
                    else luaL_addchar(&buf, (char)ch);
                }
                luaL_addstring(&buf, "\"]");
            }
            break;
        case LUA_TNUMBER: snprintf(number, sizeof number, "[" LUA_INTEGER_FMT "]", s->i); luaL_addstring(&buf, number); break;
        case -LUA_TNUMBER: snprintf(number, sizeof number, "[%.14g]", (double)s->n); luaL_addstring(&buf, number); break;
        default: luaL_addstring(&buf, s->i ? "[true]" : "[false]"); break;
        }
    }
    luaL_pushresult(&buf);
}

// ---- The entry points ------------------------------------------------------------------

struct lh_sandbox {
    lua_State *S;
    budget b;
    int result;           // index of what the file returned, in S
    const char *reason;   // why it failed (NULL: the result is plain data)
    const char *message;  // the message, a string kept in S's registry
};

typedef struct {
    const char *name;
    double seconds;
    size_t bytes;
    const char *reason;
    const copier *refusal;  // for "data": where and what
} failure;

static void figure(char *out, size_t size, double value) { snprintf(out, size, "%g", value); }

// In S, under lua_pcall: the failure's message, kept in S's registry.
// Argument 2 is the error object for "syntax" and "error".
static int describe(lua_State *S) {
    const failure *f = (const failure *)lua_touserdata(S, 1);
    char number[32];
    if (strcmp(f->reason, "stopped") == 0) {
        lua_pushfstring(S, "%s: evaluation stopped", f->name);
    } else if (strcmp(f->reason, "time") == 0) {
        figure(number, sizeof number, f->seconds);
        lua_pushfstring(S, "%s: took more than %s s of CPU time to evaluate", f->name, number);
    } else if (strcmp(f->reason, "memory") == 0) {
        figure(number, sizeof number, (double)f->bytes / (1 << 20));
        lua_pushfstring(S, "%s: used more than %s MiB", f->name, number);
    } else if (strcmp(f->reason, "data") == 0) {
        push_path(S, f->refusal);
        lua_pushfstring(S, "%s: %s: %s", f->name, lua_tostring(S, -1), f->refusal->why);
    } else if (lua_type(S, 2) == LUA_TSTRING) {
        lua_pushvalue(S, 2);
    } else {
        lua_pushfstring(S, "%s: (error object is a %s value)", f->name, luaL_typename(S, 2));
    }
    size_t length;
    const char *message = lua_tolstring(S, -1, &length);
    if (length > MAX_MESSAGE) {  // error(string.rep("x", 1e8)) is not a message
        lua_pushlstring(S, message, MAX_MESSAGE);
        lua_pushliteral(S, " [...]");
        lua_concat(S, 2);
    }
    lua_setfield(S, LUA_REGISTRYINDEX, "labsh.failure");
    return 0;
}

static void fail(lh_sandbox *sb, failure *f, const char *reason, int error_object) {
    lua_State *S = sb->S;
    f->reason = reason;
    sb->reason = reason;
    sb->message = "(the failure could not be described: out of memory)";
    lua_pushcfunction(S, describe);
    lua_pushlightuserdata(S, f);
    if (error_object) lua_pushvalue(S, error_object); else lua_pushnil(S);
    if (lua_pcall(S, 2, 0, 0) != LUA_OK) return;
    lua_getfield(S, LUA_REGISTRYINDEX, "labsh.failure");  // a string: no metamethod, no error
    sb->message = lua_tostring(S, -1);
}

lh_sandbox *lh_sandbox_open(const char *text, size_t length, const char *name, double seconds, size_t bytes) {
    lh_sandbox *sb = (lh_sandbox *)calloc(1, sizeof *sb);
    if (sb == NULL) return NULL;
    sb->b.limit = bytes;
    sb->S = lua_newstate(budget_alloc, &sb->b);
    if (sb->S == NULL) {
        lh_pool_release(&sb->b.pool);
        free(sb);
        return NULL;
    }
    lua_State *S = sb->S;
    lua_atpanic(S, sandbox_panic);

    source src = {text, length, name};
    if (pthread_getcpuclockid(pthread_self(), &sb->b.clock) != 0) sb->b.clock = CLOCK_MONOTONIC;
    sb->b.deadline = after(sb->b.clock, seconds + WATCHDOG_GRACE);
    sb->b.name = name;
    sb->b.budget_seconds = seconds;
    sb->b.seconds = user_seconds() + seconds;
    lua_pushcfunction(S, sandbox_main);
    lua_pushlightuserdata(S, &src);
    int status = lua_pcall(S, 1, 2, 0);
    lua_sethook(S, NULL, 0, 0);
    if (sb->b.watched) watchdog_disarm();
    sb->b.limit = SIZE_MAX;  // what follows needs a little room in S

    failure f = {name, seconds, bytes, NULL, NULL};
    if (sb->b.stopped || lh_stop_reason() != LH_STOP_NONE) fail(sb, &f, "stopped", 0);
    else if (sb->b.expired) fail(sb, &f, "time", 0);
    else if (sb->b.over) fail(sb, &f, "memory", 0);  // also when the file caught the memory error
    else if (status != LUA_OK) fail(sb, &f, "error", lua_gettop(S));
    else if (!lua_toboolean(S, -2)) fail(sb, &f, "syntax", lua_gettop(S));
    else {
        sb->result = lua_gettop(S);
        copier c = {.from = S, .to = NULL, .limit = bytes};
        int checked = copy_value(&c, sb->result);
        f.refusal = &c;
        if (checked == TOO_BIG) fail(sb, &f, "memory", 0);
        else if (checked == REFUSED) fail(sb, &f, "data", 0);
    }
    return sb;
}

const char *lh_sandbox_failure(lh_sandbox *sb, const char **reason) {
    *reason = sb->reason;
    return sb->reason ? sb->message : NULL;
}

lua_State *lh_sandbox_state(lh_sandbox *sb) { return sb->S; }
int lh_sandbox_result(lh_sandbox *sb) { return sb->result; }

// In S, under lua_pcall: pushes result[key] and, when asked, removes it.
static int take_field(lua_State *S) {
    int remove = lua_toboolean(S, 3);
    lua_pushvalue(S, 2);
    lua_rawget(S, 1);
    if (remove) {
        lua_pushvalue(S, 2);
        lua_pushnil(S);
        lua_rawset(S, 1);
    }
    return 1;
}

int lh_sandbox_push_field(lh_sandbox *sb, const char *key, int remove, lua_State *L) {
    lua_State *S = sb->S;
    if (sb->reason != NULL || lua_type(S, sb->result) != LUA_TTABLE) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushcfunction(S, take_field);
    lua_pushvalue(S, sb->result);
    lua_pushstring(S, key);
    lua_pushboolean(S, remove);
    if (lua_pcall(S, 3, 1, 0) != LUA_OK) {
        lua_pop(S, 1);
        return 0;
    }
    copier c = {.from = S, .to = L, .limit = SIZE_MAX};
    int copied = copy_value(&c, lua_gettop(S));  // checked with the whole result: plain data
    lua_pop(S, 1);
    return copied == COPIED;
}

void lh_sandbox_close(lh_sandbox *sb) {
    if (sb == NULL) return;
    lua_close(sb->S);
    lh_pool_release(&sb->b.pool);
    free(sb);
}
