// Metatables under a script's manifest (issue 20). Strings, file handles and
// labsh's objects share their metatables with labsh's own code: a script that
// replaced the string metatable's __index, or a file handle's write, would
// change what labsh's code does after a capability check (the remote layer
// builds the ssh command it checked with string methods). Under a manifest,
// getmetatable hands the script a read-only copy of any metatable it did not
// set itself (a copy per metatable, so identities stay consistent); labsh's
// own code still gets the real one.
#include <string.h>
#include "lua.h"
#include "lauxlib.h"
#include "lh.h"

static const char views_key[] = "labsh.metatable.views";  // real table -> read-only copy
static const char owned_key[] = "labsh.metatable.owned";  // the metatables the script set

// Whether the caller of this C function is labsh's own code (an embedded
// chunk). A tail call hides the caller: no.
static int called_by_labsh(lua_State *L) {
    lua_Debug ar;
    if (!lua_getstack(L, 0, &ar) || !lua_getinfo(L, "t", &ar) || ar.istailcall) return 0;
    if (!lua_getstack(L, 1, &ar) || !lua_getinfo(L, "S", &ar)) return 0;
    return strncmp(ar.source, "@labsh:", 7) == 0;
}

// The registry's weak-keyed table `key`, pushed (made on first use).
static int push_weak_table(lua_State *L, const char *key) {
    if (lua_getfield(L, LUA_REGISTRYINDEX, key) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, key);
    }
    return lua_gettop(L);
}

// The read-only copy of the table at `idx`, pushed: its tables are copies
// too, made once each (a metatable whose __index is itself stays so).
static void push_view(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 8, "metatable copy nested too deep");
    if (lh_is_frozen(L, idx)) {  // labsh's libraries: read-only already
        lua_pushvalue(L, idx);
        return;
    }
    int views = push_weak_table(L, views_key);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, views) != LUA_TNIL) {
        lua_remove(L, views);
        return;
    }
    lua_pop(L, 1);
    lua_newtable(L);
    int view = lua_gettop(L);
    lua_pushvalue(L, idx);
    lua_pushvalue(L, view);
    lua_rawset(L, views);  // before the fields: a cycle finds this copy
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -1) == LUA_TTABLE) {
            push_view(L, -1);
            lua_remove(L, -2);
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, view);
    }
    if (lh_freeze(L, view, 0) != LUA_OK) lua_error(L);
    lua_remove(L, views);
}

// getmetatable(v) for the script: as Lua's (a __metatable field answers
// for the metatable), but a metatable the script did not set is its copy.
static int guarded_getmetatable(lua_State *L) {
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);  // 2: what Lua's getmetatable says
    if (lua_type(L, 2) != LUA_TTABLE || called_by_labsh(L) || !lua_getmetatable(L, 1)) return 1;
    if (!lua_rawequal(L, 2, 3)) return 1;  // a __metatable field's value: the metatable's owner chose it
    push_weak_table(L, owned_key);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, -2) != LUA_TNIL) {  // the script's own
        lua_settop(L, 2);
        return 1;
    }
    lua_settop(L, 2);
    push_view(L, 2);
    return 1;
}

// setmetatable(t, mt): as Lua's; a metatable the script sets is its own.
static int guarded_setmetatable(lua_State *L) {
    int mine = lua_type(L, 2) == LUA_TTABLE && !called_by_labsh(L);
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);  // 3: t
    if (mine) {
        push_weak_table(L, owned_key);
        lua_pushvalue(L, 2);
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
    return 1;
}

static void wrap_global(lua_State *L, const char *name, lua_CFunction wrapper) {
    if (lua_getglobal(L, name) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        return;
    }
    lua_pushcclosure(L, wrapper, 1);
    lua_setglobal(L, name);
}

static int p_guard_metatables(lua_State *L) {
    wrap_global(L, "getmetatable", guarded_getmetatable);
    wrap_global(L, "setmetatable", guarded_setmetatable);
    return 0;
}

int lh_guard_metatables(lua_State *L) {
    lua_pushcfunction(L, p_guard_metatables);
    return lh_pcall(L, 0, 0, 0);
}
