// CLuaShim: the C side of the bridge. Everything here that can raise a Lua
// error runs either inside Lua's own call stack (trampolines, hooks) or under
// lua_pcall (the lh_p* helpers), so no longjmp ever crosses a Swift frame.
#ifndef LH_H
#define LH_H

#include <stddef.h>
#include <stdint.h>
#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>

// ---- Swift callbacks, installed once -------------------------------------

// Return codes of a Swift function called through the trampoline.
enum {
    LH_RAISE = -1,        // raise the value on top of the stack as is
    LH_RAISE_WHERE = -2,  // top is a string: prefix it with luaL_where(L, 1)
    LH_RAISE_ARG = -3,    // top: integer arg index; below: message string
    LH_YIELD_BASE = -1000 // LH_YIELD_BASE - n: yield the top n values
};

typedef int (*lh_dispatch_fn)(lua_State *L, void *box);
typedef void (*lh_release_fn)(void *box);
void lh_set_callbacks(lh_dispatch_fn dispatch, lh_release_fn release);

// ---- States, memory accounting --------------------------------------------

lua_State *lh_newstate(void);
void lh_set_memory_limit(lua_State *L, size_t limit);  // 0 = unlimited
size_t lh_memory_used(lua_State *L);
void lh_close(lua_State *L);
// lua_close for a process about to exit: finalizers and to-be-closed
// variables run as always, but the memory of the state's objects is not
// handed back one object at a time (a third of a short run's time).
void lh_close_at_exit(lua_State *L);

// ---- Swift values in Lua --------------------------------------------------

// Push a C closure that calls Swift box `box` (retained by the caller; the
// closure's upvalue releases it when collected).
void lh_pushfunction(lua_State *L, void *box);
// Push a full userdata holding `box` with the metatable registered as `tname`
// (created by lh_newtype). Returns 0 if no such type is registered.
int lh_pushobject(lua_State *L, void *box, const char *tname);
// The box of the userdata at idx if its metatable is `tname`, else NULL.
void *lh_toobject(lua_State *L, int idx, const char *tname);
// The box of any labsh userdata at idx (NULL if not one, or already closed).
void *lh_tobox(lua_State *L, int idx);
// Forget the box of the userdata at idx (after __close released it).
void lh_clearbox(lua_State *L, int idx);
// Create (or fetch) metatable `tname` with __name and a __gc that releases the
// box; leaves it on the stack.
void lh_newtype(lua_State *L, const char *tname);
// Push a C closure implementing __index: methods table at `methods`, then
// the getter function at `getter` (may be 0 for none).
void lh_pushindexer(lua_State *L, int methods, int getter);

// ---- Protected operations (return a LUA_* status; on error the message is
// on the stack where the result would be) -----------------------------------

int lh_pcall(lua_State *L, int nargs, int nresults, int msgh);
int lh_openlibs(lua_State *L);

// ---- Guards (guards.c): the standard functions that reach outside labsh,
// checked by the host under a script's manifest -----------------------------
// Returns why a call of `what` (its arguments on L's stack) is refused, as a
// malloc'd message, or NULL.
typedef char *(*lh_guard_fn)(lua_State *L, const char *what);
void lh_set_guard_check(lh_guard_fn check);
int lh_install_guards(lua_State *L);  // protected: a LUA_* status
void lh_activate_guards(void);        // for the rest of the process
int lh_guards_active(void);
// ---- The globals help and labsh (globals.c) ------------------------------
int lh_install_globals(lua_State *L);  // protected: a LUA_* status

// ---- Read-only libraries (freeze.c) ----------------------------------------
int lh_freeze(lua_State *L, int idx, int namespace);  // protected
// fresh: no Lua code has run in L yet (nothing can hold a library table but
// _G, package.loaded and the strings' metatable): the standard libraries get
// read-only stand-ins instead of having their fields moved
int lh_freeze_libraries(lua_State *L, int fresh);      // protected
int lh_is_frozen(lua_State *L, int idx);
int lh_require_frozen(lua_State *L);                   // require's wrapper (upvalue 1: require)
// ---- Metatables (metatables.c): under a manifest, getmetatable gives the
// script a read-only copy of a metatable it did not set ------------------------
int lh_guard_metatables(lua_State *L);                  // protected; before _G is frozen
int lh_gettable(lua_State *L, int idx);              // key on top -> value
int lh_settable(lua_State *L, int idx);              // key, value on top
int lh_tolstring(lua_State *L, int idx);             // pushes luaL_tolstring
int lh_len(lua_State *L, int idx, lua_Integer *out); // luaL_len

// The interpreter's message handler (lua.c's): adds a traceback to string
// errors, uses __tostring for others.
int lh_msghandler(lua_State *L);
// A message handler for calls made by Swift: keeps the error value as it is
// and stores the traceback, fetched with lh_last_traceback.
int lh_errcapture(lua_State *L);
// Pushes the traceback captured by the last lh_errcapture (or nil).
void lh_last_traceback(lua_State *L);
void lh_forget_traceback(lua_State *L);

// ---- Warnings (like luaL_newstate's, toggled by "@on"/"@off") -------------

void lh_install_warnings(lua_State *L);

// ---- Stopping running code: signals, timeout ------------------------------

enum { LH_STOP_NONE = 0, LH_STOP_INTERRUPT = 1, LH_STOP_TERMINATE = 2, LH_STOP_TIMEOUT = 3 };

// Route SIGINT/SIGTERM to a hook that stops Lua code running in L.
void lh_watch_signals(lua_State *L);
// Replace pcall, xpcall, coroutine.resume and coroutine.wrap with versions
// that do not catch a pending stop and let it reach every coroutine.
void lh_install_stoppable_pcall(lua_State *L);
// Pushes run_deferred(seconds, fn, ...): fn runs with stops held back for at
// most `seconds` (rollbacks, the audit's outcome line); a held stop goes on
// when it returns. A second signal ends the hold at once.
void lh_push_run_deferred(lua_State *L);
// Children started by os.execute and io.popen: their own process groups,
// ended with the script (see children.c).
void lh_install_children(lua_State *L);
void lh_end_children(void);
// Arm a wall-clock deadline (seconds from now); 0 disarms.
void lh_set_timeout(lua_State *L, double seconds);
int lh_stop_reason(void);
void lh_clear_stop(lua_State *L);
// Seconds of the last armed timeout, for the message.
double lh_timeout_seconds(void);
// A pipe that receives a byte whenever a stop is requested (for poll loops).
int lh_stop_fd(void);

// Nonzero while Swift code runs inside a trampoline (tests assert this is 0).
int lh_host_depth(lua_State *L);

// Loads a chunk of the stdlib's bytecode as the build embedded it in a Swift
// string literal of `length` bytes (7-bit form; see embedded.c) holding
// `bytes` bytes. Raises nothing; returns lua_load's status.
int lh_load_embedded(lua_State *L, const char *literal, size_t length, size_t bytes, const char *chunkname);

// ---- Replacements for Lua's function-like macros (Swift cannot import those) --

static const int LH_REGISTRYINDEX = LUA_REGISTRYINDEX;
static const int LH_MULTRET = LUA_MULTRET;
static const int LH_ERRFILE = LUA_ERRFILE;
static const lua_Integer LH_RIDX_GLOBALS = LUA_RIDX_GLOBALS;
static inline int lh_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void lh_pop(lua_State *L, int n) { lua_settop(L, -(n) - 1); }
static inline void lh_insert(lua_State *L, int idx) { lua_rotate(L, idx, 1); }
static inline void lh_remove(lua_State *L, int idx) { lua_rotate(L, idx, -1); lua_settop(L, -2); }
static inline void lh_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcclosure(L, f, 0); }
static inline lua_Number lh_tonumber(lua_State *L, int idx, int *isnum) { return lua_tonumberx(L, idx, isnum); }
static inline lua_Integer lh_tointeger(lua_State *L, int idx, int *isnum) { return lua_tointegerx(L, idx, isnum); }
static inline void lh_pushglobaltable(lua_State *L) { lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS); }
static inline int lh_getmetatable_named(lua_State *L, const char *tname) { lua_pushstring(L, tname); return lua_rawget(L, LUA_REGISTRYINDEX); }
static inline const char *lh_typename(lua_State *L, int idx) { return lua_typename(L, lua_type(L, idx)); }
static inline int lh_loadbuffer(lua_State *L, const char *buf, size_t size, const char *name, const char *mode) { return luaL_loadbufferx(L, buf, size, name, mode); }
static inline void **lh_extraspace(lua_State *L) { return (void **)lua_getextraspace(L); }
// lua_gc is variadic, which Swift cannot call.
static inline void lh_gc_stop(lua_State *L) { lua_gc(L, LUA_GCSTOP); }
static inline void lh_gc_generational(lua_State *L) { lua_gc(L, LUA_GCRESTART); lua_gc(L, LUA_GCGEN, 0, 0); }
static inline int lh_loadfile(lua_State *L, const char *path) { return luaL_loadfilex(L, path, NULL); }
static inline const char *lh_copyright(void) { return LUA_COPYRIGHT; }
static inline const char *lh_release(void) { return LUA_RELEASE; }

#endif
