// Guards on the standard functions that reach outside labsh (issue 20).
// Under a script's manifest every call is first shown to the host's check
// (set by Swift): it names the function and reads the call's arguments, and
// returns why the call is refused, or NULL. With no manifest the guard is one
// flag test and a call of the original.
#include <stdio.h>
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
        const char *what = lua_tostring(L, lua_upvalueindex(2));
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

// Replaces t[field] (t at the top) by its guarded self, named `what`.
static void guard_field(lua_State *L, const char *field, const char *what) {
    if (lua_getfield(L, -1, field) != LUA_TFUNCTION) { lua_pop(L, 1); return; }
    lua_pushstring(L, what);
    lua_pushcclosure(L, guarded, 2);
    lua_setfield(L, -2, field);
}

static const char *const io_fields[] = {"open", "lines", "input", "output", "popen", NULL};
static const char *const os_fields[] = {"execute", "remove", "rename", "getenv", "tmpname", NULL};
static const char *const base_fields[] = {"load", "loadfile", "dofile", NULL};
static const char *const raw_fields[] = {"rawset", NULL};
static const char *const debug_fields[] = {
    "getupvalue", "setupvalue", "upvalueid", "upvaluejoin", "getlocal", "setlocal", "getregistry",
    "sethook", "gethook", "getmetatable", "setmetatable", "getuservalue", "setuservalue", "setcstacklimit", NULL};

static void guard_library(lua_State *L, const char *library, const char *const fields[]) {
    char what[64];
    if (library) {
        if (lua_getglobal(L, library) != LUA_TTABLE) { lua_pop(L, 1); return; }
    } else {
        lua_pushglobaltable(L);
    }
    for (int i = 0; fields[i]; i++) {
        if (library) snprintf(what, sizeof what, "%s.%s", library, fields[i]);
        else snprintf(what, sizeof what, "%s", fields[i]);
        guard_field(L, fields[i], what);
    }
    lua_pop(L, 1);
}

static int p_install_guards(lua_State *L) {
    guard_library(L, "io", io_fields);
    guard_library(L, "os", os_fields);
    guard_library(L, NULL, base_fields);
    guard_library(L, "debug", debug_fields);
    if (lua_getglobal(L, "string") == LUA_TTABLE) guard_field(L, "dump", "string.dump");
    lua_pop(L, 1);
    guard_library(L, NULL, raw_fields);
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
                lua_pushliteral(L, "package.searchers (C libraries)");
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
