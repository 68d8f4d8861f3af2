// Guards on the standard functions that reach outside labsh (issue 20).
// Under a script's manifest every call is first shown to the host's check
// (set by Swift): it names the function and reads the call's arguments, and
// returns why the call is refused, or NULL. With no manifest the guard is one
// flag test and a call of the original.
#include <stdlib.h>
#include <string.h>
#include "lua.h"
#include "lauxlib.h"
#include "lh.h"

static lh_guard_fn guard_check = NULL;
static int guards_active = 0;

void lh_set_guard_check(lh_guard_fn check) { guard_check = check; }
void lh_activate_guards(void) { guards_active = 1; }
int lh_guards_active(void) { return guards_active; }

// Under a manifest, load and loadfile read text only: a binary chunk can
// break the VM's own checks.
static void text_only(lua_State *L, const char *what) {
    int mode = strcmp(what, "load") == 0 ? 3 : strcmp(what, "loadfile") == 0 ? 2 : 0;
    if (mode == 0) return;
    if (lua_gettop(L) < mode) lua_settop(L, mode);
    lua_pushliteral(L, "t");
    lua_replace(L, mode);
}

static int guarded(lua_State *L) {
    if (guards_active && guard_check) {
        const char *what = (const char *)lua_touserdata(L, lua_upvalueindex(2));
        char *why = guard_check(L, what);
        if (why && strncmp(what, "package.searchers", 17) == 0) {
            lua_pushfstring(L, "\n\t%s", why);  // a searcher's "not found", so require goes on
            free(why);
            return 1;
        }
        if (why) {  // an error object as the host raises them: no traceback, the message says it all
            lua_createtable(L, 0, 2);
            lua_pushstring(L, why);
            free(why);
            lua_setfield(L, -2, "message");
            lua_pushliteral(L, "capability");
            lua_setfield(L, -2, "kind");
            luaL_getmetatable(L, "lab.Error");
            lua_setmetatable(L, -2);
            return lua_error(L);
        }
        text_only(L, what);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

// Replaces t[field] (t at the top) by its guarded self, named `what` (a
// static string: the closure keeps its address, no Lua string is made).
static void guard_field(lua_State *L, const char *field, const char *what) {
    if (lua_getfield(L, -1, field) != LUA_TFUNCTION) { lua_pop(L, 1); return; }
    lua_pushlightuserdata(L, (void *)what);
    lua_pushcclosure(L, guarded, 2);
    lua_setfield(L, -2, field);
}

// The guarded functions: library (NULL: a global), field, and the name the
// host's check is given. Written out: formatting the names at every start
// cost a library script 20K instructions.
static const struct { const char *library, *field, *what; } guarded_fields[] = {
    {"io", "open", "io.open"}, {"io", "lines", "io.lines"}, {"io", "input", "io.input"},
    {"io", "output", "io.output"}, {"io", "popen", "io.popen"},
    {"os", "execute", "os.execute"}, {"os", "remove", "os.remove"}, {"os", "rename", "os.rename"},
    {"os", "getenv", "os.getenv"}, {"os", "tmpname", "os.tmpname"},
    {NULL, "load", "load"}, {NULL, "loadfile", "loadfile"}, {NULL, "dofile", "dofile"},
    {"debug", "getupvalue", "debug.getupvalue"}, {"debug", "setupvalue", "debug.setupvalue"},
    {"debug", "upvalueid", "debug.upvalueid"}, {"debug", "upvaluejoin", "debug.upvaluejoin"},
    {"debug", "getlocal", "debug.getlocal"}, {"debug", "setlocal", "debug.setlocal"},
    {"debug", "getregistry", "debug.getregistry"}, {"debug", "sethook", "debug.sethook"},
    {"debug", "gethook", "debug.gethook"}, {"debug", "getmetatable", "debug.getmetatable"},
    {"debug", "setmetatable", "debug.setmetatable"}, {"debug", "getuservalue", "debug.getuservalue"},
    {"debug", "setuservalue", "debug.setuservalue"}, {"debug", "setcstacklimit", "debug.setcstacklimit"},
    {"string", "dump", "string.dump"},
    {NULL, "rawset", "rawset"},
};

// Pushes the library `name` (NULL: the global table); 0 (nothing pushed)
// when there is no such table.
static int push_library(lua_State *L, const char *name) {
    if (name == NULL) {
        lua_pushglobaltable(L);
        return 1;
    }
    if (lua_getglobal(L, name) == LUA_TTABLE) return 1;
    lua_pop(L, 1);
    return 0;
}

static int p_install_guards(lua_State *L) {
    for (size_t i = 0; i < sizeof guarded_fields / sizeof guarded_fields[0]; i++) {
        if (!push_library(L, guarded_fields[i].library)) continue;
        guard_field(L, guarded_fields[i].field, guarded_fields[i].what);
        lua_pop(L, 1);
    }
    if (lua_getglobal(L, "require") == LUA_TFUNCTION) {  // labsh's modules are frozen as they load
        lua_pushcclosure(L, lh_require_frozen, 1);
        lua_setglobal(L, "require");
    } else {
        lua_pop(L, 1);
    }
    if (lua_getglobal(L, "package") == LUA_TTABLE) {
        guard_field(L, "loadlib", "package.loadlib");
        // the searchers that load C libraries call no Lua function: guard them
        if (lua_getfield(L, -1, "searchers") == LUA_TTABLE) {
            for (int i = 3; i <= 4; i++) {
                if (lua_rawgeti(L, -1, i) != LUA_TFUNCTION) { lua_pop(L, 1); continue; }
                lua_pushlightuserdata(L, (void *)"package.searchers (C libraries)");
                lua_pushcclosure(L, guarded, 2);
                lua_rawseti(L, -2, i);
            }
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

int lh_install_guards(lua_State *L) {
    lua_pushcfunction(L, p_install_guards);
    return lh_pcall(L, 0, 0, 0);
}
