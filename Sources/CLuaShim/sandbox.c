// An inventory file is data, written by someone else, read at 3 a.m. by
// root. It is evaluated in a lua_State of its own, never in labsh's:
//
// - nothing it changes (library tables, metatables, globals) exists outside
//   that state, which is closed once the data is out;
// - it gets only the pure libraries: base without load/loadfile/dofile/
//   print/warn/collectgarbage, string without dump, table, math, utf8 (no
//   io, os, debug, package, coroutine, and no bytecode);
// - its own allocator caps its memory, a count hook its time; a watchdog
//   thread ends labsh if it is stuck in a C function past the budget;
// - what it returns is copied out as plain data (strings, numbers,
//   booleans, tables without metatables), refusing anything else with the
//   key path where it was found.
//
// Everything that can raise in the sandbox runs under lua_pcall in the
// sandbox; lh_sandbox_evaluate itself is a lua_CFunction called by Lua, so
// errors it raises in the caller's state never cross a Swift frame.
#include "lh_sandbox.h"
#include "lh.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SECONDS 2.0
#define DEFAULT_BYTES ((size_t)256 << 20)
#define HOOK_EVERY 1000        // instructions between two looks at the clock
#define WATCHDOG_GRACE 1.0     // seconds past the budget before labsh is ended
#define MAX_DEPTH 100          // tables nested deeper are not an inventory
#define HOLDER "labsh.Sandbox"

// ---- Budget: memory and time --------------------------------------------------

typedef struct {
    size_t used, limit;
    int over;                 // an allocation was refused at the cap
    int expired;              // the time budget ran out
    int stopped;              // labsh was asked to stop (lh_stop_reason)
    struct timespec deadline;
} budget;

static void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    budget *b = (budget *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        b->used -= old;
        return NULL;
    }
    if (nsize > old && b->used - old + nsize > b->limit) {
        b->over = 1;
        return NULL;  // Lua raises "not enough memory" in the sandbox
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    b->used = b->used - old + nsize;
    return p;
}

static budget *budget_of(lua_State *S) {
    void *ud;
    lua_getallocf(S, &ud);
    return (budget *)ud;
}

static struct timespec after(double seconds) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    time_t whole = (time_t)seconds;
    long nanos = t.tv_nsec + (long)((seconds - (double)whole) * 1e9);
    t.tv_sec += whole + nanos / 1000000000L;
    t.tv_nsec = nanos % 1000000000L;
    return t;
}

static int passed(const struct timespec *deadline) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > deadline->tv_sec ||
           (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static void budget_hook(lua_State *S, lua_Debug *ar) {
    (void)ar;
    budget *b = budget_of(S);
    if (lh_stop_reason() != LH_STOP_NONE) b->stopped = 1;
    else if (passed(&b->deadline)) b->expired = 1;
    if (!b->stopped && !b->expired) return;
    // From now on every instruction raises: a pcall in the file that
    // caught this error cannot keep it running.
    lua_sethook(S, budget_hook, LUA_MASKCOUNT, 1);
    lua_pushstring(S, b->stopped ? "stopped" : "out of time");
    lua_error(S);
}

// ---- Watchdog: code stuck in C (a pattern that backtracks for hours) ---------

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int done;
    struct timespec deadline;  // budget + grace
    const char *name;
    double seconds;
} watchdog;

static void forced_exit(const char *name, double seconds, int reason) {
    char msg[512];
    int code = 1;
    if (reason == LH_STOP_INTERRUPT) code = 130;
    else if (reason == LH_STOP_TERMINATE) code = 143;
    else if (reason == LH_STOP_TIMEOUT) code = 124;
    if (reason == LH_STOP_NONE)
        snprintf(msg, sizeof msg, "labsh: %s: took longer than %g s to evaluate (stuck in a library function; forced exit)\n",
                 name, seconds);
    else
        snprintf(msg, sizeof msg, "labsh: stopped while evaluating %s (stuck in a library function; forced exit)\n", name);
    ssize_t ignored = write(2, msg, strlen(msg));
    (void)ignored;
    _exit(code);
}

static void *watch(void *arg) {
    watchdog *w = (watchdog *)arg;
    struct timespec stop_deadline = {0, 0};
    int stop_seen = 0;
    pthread_mutex_lock(&w->lock);
    while (!w->done) {
        // Wake every 100 ms: a stop (Ctrl-C) gets the same grace as the budget.
        struct timespec tick = after(0.1);
        pthread_cond_timedwait(&w->wake, &w->lock, &tick);
        if (w->done) break;
        int reason = lh_stop_reason();
        if (reason != LH_STOP_NONE && !stop_seen) {
            stop_seen = 1;
            stop_deadline = after(WATCHDOG_GRACE);
        }
        if (stop_seen && passed(&stop_deadline)) forced_exit(w->name, w->seconds, reason);
        if (passed(&w->deadline)) forced_exit(w->name, w->seconds, LH_STOP_NONE);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static int watchdog_start(watchdog *w, pthread_t *thread, const char *name, double seconds) {
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &attr);
    pthread_condattr_destroy(&attr);
    w->deadline = after(seconds + WATCHDOG_GRACE);
    w->name = name;
    w->seconds = seconds;
    return pthread_create(thread, NULL, watch, w) == 0;
}

static void watchdog_stop(watchdog *w, pthread_t thread) {
    pthread_mutex_lock(&w->lock);
    w->done = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
}

// ---- The sandbox state ----------------------------------------------------------

// Owned by a userdata in the caller's state, so an error raised there
// (out of memory while copying) still closes the sandbox when collected.
typedef struct {
    lua_State *S;
    budget b;
} holder;

static void holder_close(holder *h) {
    if (h->S) {
        h->b.limit = SIZE_MAX;
        lua_close(h->S);
        h->S = NULL;
    }
}

static int holder_gc(lua_State *L) {
    holder_close((holder *)lua_touserdata(L, 1));
    return 0;
}

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

static void open_pure_libraries(lua_State *S) {
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
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
    lua_pushglobaltable(S);
    for (const char *const *name = removed; *name; name++) {
        lua_pushnil(S);
        lua_setfield(S, -2, *name);
    }
    lua_getfield(S, -1, "setmetatable");
    lua_pushcclosure(S, safe_setmetatable, 1);
    lua_setfield(S, -2, "setmetatable");
    lua_getfield(S, -1, LUA_STRLIBNAME);
    lua_pushnil(S);
    lua_setfield(S, -2, "dump");
    lua_pop(S, 2);
}

typedef struct {
    const char *text;
    size_t length;
    const char *chunkname;
} source;

// In the sandbox, under lua_pcall: open libraries, compile (text only), run.
static int sandbox_main(lua_State *S) {
    const source *src = (const source *)lua_touserdata(S, 1);
    open_pure_libraries(S);
    if (luaL_loadbufferx(S, src->text, src->length, src->chunkname, "t") != LUA_OK) {
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

// A table met again is copied again, as the model reads it anyway: the
// copy's size is counted against the memory budget, so a few tables that
// refer to each other many times over cannot expand into gigabytes here.
typedef struct {
    int type;  // of the key
    const char *s;
    size_t len;
    lua_Integer i;
    lua_Number n;
} step;

typedef struct {
    lua_State *from, *to;
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
    if (!lua_checkstack(from, 4) || !lua_checkstack(to, 4)) return refuse(c, "tables are nested too deep");
    if (lua_getmetatable(from, idx)) {
        lua_pop(from, 1);
        return refuse(c, "a table with a metatable cannot be inventory data");
    }
    const void *self = lua_topointer(from, idx);
    for (int d = 0; d < c->depth; d++)
        if (c->open[d] == self) return refuse(c, "a table that contains itself (a cycle) cannot be inventory data");
    c->open[c->depth] = self;

    // Sized once: no rehash while filling.
    int items = (int)lua_rawlen(from, idx), fields = 0;
    lua_pushnil(from);
    while (lua_next(from, idx)) {
        lua_pop(from, 1);
        fields++;
    }
    fields = fields > items ? fields - items : 0;
    int status = count(c, 56 + 16 * (size_t)items + 32 * (size_t)fields);
    if (status != COPIED) return status;
    lua_createtable(to, items, fields);
    lua_pushnil(from);
    while (lua_next(from, idx)) {
        int key = lua_gettop(from) - 1;
        if ((status = record_key(c, key)) != COPIED) return status;
        c->depth++;
        copy_value(c, key);  // a plain key: cannot be refused
        if ((status = copy_value(c, lua_gettop(from))) != COPIED) return status;
        c->depth--;
        lua_rawset(to, -3);
        lua_pop(from, 1);
    }
    return COPIED;
}

static int copy_value(copier *c, int idx) {
    lua_State *from = c->from, *to = c->to;
    switch (lua_type(from, idx)) {
    case LUA_TNIL: lua_pushnil(to); return COPIED;
    case LUA_TBOOLEAN: lua_pushboolean(to, lua_toboolean(from, idx)); return COPIED;
    case LUA_TNUMBER:
        if (lua_isinteger(from, idx)) lua_pushinteger(to, lua_tointeger(from, idx));
        else lua_pushnumber(to, lua_tonumber(from, idx));
        return COPIED;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(from, idx, &n);
        if (count(c, 24 + n) != COPIED) return TOO_BIG;
        lua_pushlstring(to, s, n);
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
static void push_path(copier *c) {
    lua_State *L = c->to;
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

// ---- The entry point ------------------------------------------------------------------

static int failed(lua_State *L, const char *reason) {  // message on top
    lua_pushnil(L);
    lua_insert(L, -2);
    lua_pushstring(L, reason);
    return 3;
}

static int too_big(lua_State *L, const char *name, lua_Integer bytes) {
    char figure[32];
    snprintf(figure, sizeof figure, "%g", (double)bytes / (1 << 20));
    lua_pushfstring(L, "%s: used more than %s MiB", name, figure);
    return failed(L, "memory");
}

static const char *stop_message(int reason) {
    switch (reason) {
    case LH_STOP_INTERRUPT: return "interrupted!";
    case LH_STOP_TERMINATE: return "terminated";
    default: return "timeout";
    }
}

int lh_sandbox_evaluate(lua_State *L) {
    size_t length;
    const char *text = luaL_checklstring(L, 1, &length);
    const char *name = luaL_checkstring(L, 2);
    double seconds = (double)luaL_optnumber(L, 3, DEFAULT_SECONDS);
    lua_Integer bytes = luaL_optinteger(L, 4, (lua_Integer)DEFAULT_BYTES);
    luaL_argcheck(L, seconds > 0, 3, "seconds must be positive");
    luaL_argcheck(L, bytes > 0, 4, "bytes must be positive");
    lua_settop(L, 2);
    lua_pushfstring(L, "@%s", name);
    source src = {text, length, lua_tostring(L, 3)};

    holder *h = (holder *)lua_newuserdatauv(L, sizeof(holder), 0);  // index 4
    memset(h, 0, sizeof *h);
    if (luaL_newmetatable(L, HOLDER)) {
        lua_pushcfunction(L, holder_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    h->b.limit = (size_t)bytes;
    h->S = lua_newstate(budget_alloc, &h->b);
    if (h->S == NULL) return luaL_error(L, "%s: cannot create a state to evaluate it", name);
    lua_State *S = h->S;
    lua_atpanic(S, sandbox_panic);

    watchdog w;
    pthread_t thread;
    int watching = watchdog_start(&w, &thread, name, seconds);
    h->b.deadline = after(seconds);
    lua_pushcfunction(S, sandbox_main);
    lua_pushlightuserdata(S, &src);
    int status = lua_pcall(S, 1, 2, 0);
    lua_sethook(S, NULL, 0, 0);
    if (watching) watchdog_stop(&w, thread);
    h->b.limit = SIZE_MAX;  // copying out needs a little stack in S

    int stop = lh_stop_reason();
    if (h->b.stopped || stop != LH_STOP_NONE) {
        holder_close(h);
        lua_pushstring(L, stop_message(stop));
        return lua_error(L);
    }
    if (h->b.expired) {
        holder_close(h);
        char figure[32];
        snprintf(figure, sizeof figure, "%g", seconds);
        lua_pushfstring(L, "%s: took longer than %s s to evaluate", name, figure);
        return failed(L, "time");
    }
    if (h->b.over) {  // also when the file caught the memory error and failed later
        holder_close(h);
        return too_big(L, name, bytes);
    }
    if (status != LUA_OK || !lua_toboolean(S, -2)) {
        const char *reason = status == LUA_OK ? "syntax" : "error";
        const char *message = lua_tostring(S, -1);
        if (message) lua_pushstring(L, message);
        else lua_pushfstring(L, "%s: (error object is a %s value)", name, luaL_typename(S, -1));
        holder_close(h);
        return failed(L, reason);
    }

    copier c;
    c.from = S;
    c.to = L;
    c.bytes = 0;
    c.limit = (size_t)bytes;
    c.depth = 0;
    int copied = copy_value(&c, lua_gettop(S));
    if (copied != COPIED) {
        lua_settop(L, 4);
        if (copied == TOO_BIG) {
            holder_close(h);
            return too_big(L, name, bytes);
        }
        push_path(&c);  // before closing: the path's keys live in S
        lua_pushfstring(L, "%s: %s: %s", name, lua_tostring(L, -1), c.why);
        holder_close(h);
        return failed(L, "data");
    }
    holder_close(h);
    return 1;
}
