// Read-only tables for a script under a manifest (issue 20). A frozen table
// keeps its identity (every reference to it sees the change) but its fields
// move to a hidden table behind __index; writes go through __newindex,
// which lets labsh's own code (embedded chunks, "@labsh:...") through and
// refuses the script. Two kinds:
//   a module (string, os, lab.http, labsh.gate...): only labsh's code writes;
//   a namespace (_G, package.loaded, package.preload): the script may add
//   names of its own (plain fields, its to change), but not replace one of
//   labsh's, nor claim a name of labsh's modules (only require may, as it
//   loads one).
#include <string.h>
#include "lua.h"
#include "lauxlib.h"
#include "lh.h"

static const char frozen_mark[] = "labsh: read-only under a manifest";

// Whether the code doing the write is labsh's own: the caller of the
// metamethod is an embedded chunk. A tail call hides the caller: no.
static int written_by_labsh(lua_State *L) {
    lua_Debug ar;
    if (!lua_getstack(L, 0, &ar) || !lua_getinfo(L, "t", &ar) || ar.istailcall) return 0;
    if (!lua_getstack(L, 1, &ar) || !lua_getinfo(L, "S", &ar)) return 0;
    return strncmp(ar.source, "@labsh:", 7) == 0;
}

static int called_from_c(lua_State *L) {
    lua_Debug ar;
    if (!lua_getstack(L, 1, &ar) || !lua_getinfo(L, "S", &ar)) return 0;
    return strcmp(ar.what, "C") == 0;
}

static int reserved_name(lua_State *L, int key) {
    if (lua_type(L, key) != LUA_TSTRING) return 0;
    const char *k = lua_tostring(L, key);
    return strcmp(k, "lab") == 0 || strcmp(k, "labsh") == 0 || strncmp(k, "lab.", 4) == 0 ||
           strncmp(k, "labsh.", 6) == 0;
}

// The hidden table of the frozen table at `t` (its metatable's __index),
// pushed. The metamethods below find it there rather than as an upvalue:
// freezing a table then makes no closures (a library script freezes ~14).
static int push_hidden(lua_State *L, int t) {
    if (!lua_getmetatable(L, t)) return luaL_error(L, "labsh: not a read-only table");
    lua_pushliteral(L, "__index");
    if (lua_rawget(L, -2) != LUA_TTABLE) return luaL_error(L, "labsh: not a read-only table");
    lua_remove(L, -2);
    return lua_gettop(L);
}

// __newindex(t, k, v) of a module (string, os, lab.http, labsh.gate...):
// only labsh's code writes. Of a namespace (_G, package.loaded, preload):
// the script may add names of its own, not replace or claim labsh's.
static int frozen_newindex(lua_State *L, int namespace) {
    lua_settop(L, 3);
    int hidden = push_hidden(L, 1);
    int allowed = written_by_labsh(L);
    if (!allowed && namespace) {
        lua_pushvalue(L, 2);
        int exists = lua_rawget(L, hidden) != LUA_TNIL;
        lua_pop(L, 1);
        int reserved = reserved_name(L, 2);
        if (!exists && !reserved) {  // the script's own name: a plain field, its to change
            lua_settop(L, 3);
            lua_rawset(L, 1);
            return 0;
        }
        allowed = !exists && called_from_c(L);  // require recording a module of labsh's
    }
    if (!allowed) {
        lua_pushvalue(L, 2);
        const char *key = luaL_tolstring(L, -1, NULL);
        return luaL_error(L, "cannot change '%s': labsh's libraries are read-only to a script under a manifest", key);
    }
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_rawset(L, hidden);
    return 0;
}

static int module_newindex(lua_State *L) { return frozen_newindex(L, 0); }
static int namespace_newindex(lua_State *L) { return frozen_newindex(L, 1); }

// __pairs: the hidden table's fields, without handing the table out (the
// iterator's state is the frozen table itself).
static int frozen_next(lua_State *L) {
    lua_settop(L, 2);
    int hidden = push_hidden(L, 1);
    lua_pushvalue(L, 2);
    if (lua_next(L, hidden)) return 2;
    lua_pushnil(L);
    return 1;
}

static int frozen_pairs(lua_State *L) {
    lua_pushcfunction(L, frozen_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int frozen_len(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)luaL_len(L, push_hidden(L, 1)));
    return 1;
}

int lh_is_frozen(lua_State *L, int idx) {
    if (!lua_getmetatable(L, idx)) return 0;
    lua_pushliteral(L, "__metatable");
    lua_rawget(L, -2);  // raw: the host may ask anywhere, no metamethod may run
    int frozen = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), frozen_mark) == 0;
    lua_pop(L, 2);
    return frozen;
}

// Makes the table at `t` the read-only face of the one at `hidden`, which
// holds the fields: a new metatable (the hidden table's own metamethods,
// lab.restic's __call, stay its own).
static void set_frozen_metatable(lua_State *L, int t, int hidden, int namespace) {
    lua_createtable(L, 0, 5);
    int mt = lua_gettop(L);
    lua_pushvalue(L, hidden);
    lua_setfield(L, mt, "__index");
    lua_pushcfunction(L, namespace ? namespace_newindex : module_newindex);
    lua_setfield(L, mt, "__newindex");
    lua_pushcfunction(L, frozen_pairs);
    lua_setfield(L, mt, "__pairs");
    lua_pushcfunction(L, frozen_len);
    lua_setfield(L, mt, "__len");
    lua_pushstring(L, frozen_mark);
    lua_setfield(L, mt, "__metatable");
    if (lua_getmetatable(L, hidden)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pushvalue(L, -2);
            if (lua_rawget(L, mt) == LUA_TNIL) {
                lua_pop(L, 1);
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, mt);
            } else {
                lua_pop(L, 2);
            }
        }
        lua_pop(L, 1);
    }
    lua_setmetatable(L, t);
}

static int p_freeze(lua_State *L) {
    // 1: the table, 2: namespace?
    if (lua_type(L, 1) != LUA_TTABLE || lh_is_frozen(L, 1)) return 0;
    int fields = 0;  // sized once: growing it field by field rehashed it again and again
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        fields++;
    }
    lua_createtable(L, 0, fields);  // 3: hidden, with the table's own metatable (lab's lazy __index)
    if (lua_getmetatable(L, 1)) lua_setmetatable(L, 3);
    lua_pushnil(L);
    while (lua_next(L, 1)) {  // move every field; clearing the one just visited keeps next's walk valid
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, 3);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, 1);
    }
    set_frozen_metatable(L, 1, 3, lua_toboolean(L, 2));
    return 0;
}

int lh_freeze(lua_State *L, int idx, int namespace) {
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, p_freeze);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, namespace);
    return lh_pcall(L, 2, 0, 0);
}

static void freeze_top(lua_State *L, int namespace) {
    lua_pushcfunction(L, p_freeze);
    lua_insert(L, -2);
    lua_pushboolean(L, namespace);
    lua_call(L, 2, 0);
}

static const char searchers_copy[] = "labsh.searchers";

// package.searchers as they were when the libraries were frozen: a script's
// own searcher cannot answer for a module of labsh's.
static void restore_searchers(lua_State *L) {
    if (lua_getfield(L, LUA_REGISTRYINDEX, searchers_copy) != LUA_TTABLE) { lua_pop(L, 1); return; }
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchers");
    if (lua_type(L, -1) == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1), i = 1;
        for (; lua_rawgeti(L, -3, i) != LUA_TNIL; i++) lua_rawseti(L, -2, i);
        lua_pop(L, 1);
        for (; i <= n; i++) { lua_pushnil(L); lua_rawseti(L, -2, i); }
    }
    lua_pop(L, 3);
}

static const char *const standard[] = {"string", "table", "math", "io", "os", "utf8", "coroutine", "debug", "package", NULL};

static int is_standard(const char *name) {
    for (int i = 0; standard[i]; i++) {
        if (strcmp(name, standard[i]) == 0) return 1;
    }
    return strcmp(name, LUA_GNAME) == 0 || strcmp(name, "lab") == 0;
}

// Whether package.loaded holds the standard libraries, _G and lab alone:
// no module has loaded, so nothing has kept a library table of its own.
static int only_standard_loaded(lua_State *L, int loaded) {
    lua_pushnil(L);
    while (lua_next(L, loaded)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING || !is_standard(lua_tostring(L, -1))) {
            lua_pop(L, 1);
            return 0;
        }
    }
    return 1;
}

// The standard library `name` in a state where no Lua code has run: the
// table the library was opened in becomes the hidden one, and a new empty
// table, read-only, takes its place everywhere it is: _G, package.loaded
// and (string) the strings' metatable. Nothing is moved; the only other
// references are upvalues of package's own C functions, which no script
// can read. 0 when the library is not as it was opened (freeze it then).
static int proxy_standard(lua_State *L, const char *name, int loaded) {
    int top = lua_gettop(L);
    lua_pushglobaltable(L);
    int globals = top + 1;
    lua_pushstring(L, name);
    int key = top + 2;
    lua_pushvalue(L, key);
    lua_rawget(L, globals);
    int hidden = top + 3;
    lua_pushvalue(L, key);
    lua_rawget(L, loaded);
    int as_opened = lua_type(L, hidden) == LUA_TTABLE && lua_rawequal(L, hidden, -1) && !lua_getmetatable(L, hidden);
    if (!as_opened) {
        lua_settop(L, top);
        return 0;
    }
    lua_newtable(L);
    int proxy = lua_gettop(L);
    set_frozen_metatable(L, proxy, hidden, 0);
    lua_pushvalue(L, key);
    lua_pushvalue(L, proxy);
    lua_rawset(L, globals);  // _G and package.loaded are frozen after this
    lua_pushvalue(L, key);
    lua_pushvalue(L, proxy);
    lua_rawset(L, loaded);
    if (strcmp(name, LUA_STRLIBNAME) == 0) {  // s:upper() reads string.upper from the strings' metatable
        lua_pushliteral(L, "");
        if (lua_getmetatable(L, -1)) {
            lua_pushliteral(L, "__index");
            if (lua_rawget(L, -2) == LUA_TTABLE && lua_rawequal(L, -1, hidden)) {
                lua_pushliteral(L, "__index");
                lua_pushvalue(L, proxy);
                lua_rawset(L, -4);
            }
        }
    }
    lua_settop(L, top);
    return 1;
}

static int p_freeze_libraries(lua_State *L) {
    int fresh = lua_toboolean(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    int loaded = lua_gettop(L);
    fresh = fresh && only_standard_loaded(L, loaded);
    for (int i = 0; standard[i]; i++) {
        if (fresh && proxy_standard(L, standard[i], loaded)) continue;
        lua_getglobal(L, standard[i]);
        freeze_top(L, 0);
    }
    lua_getglobal(L, "lab");
    freeze_top(L, 0);
    lua_pushnil(L);
    while (lua_next(L, loaded)) {  // labsh's modules loaded so far (freezing changes no key)
        if (reserved_name(L, -2)) {
            lua_pushvalue(L, -1);
            freeze_top(L, 0);
        }
        lua_pop(L, 1);
    }
    lua_getglobal(L, "package");
    // require reads the searchers raw, so they stay a plain table; a copy
    // is put back before each of labsh's modules loads (lh_require_frozen)
    lua_getfield(L, -1, "searchers");
    lua_newtable(L);
    for (lua_Integer i = 1; lua_rawgeti(L, -2, i) != LUA_TNIL; i++) lua_rawseti(L, -2, i);
    lua_pop(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, searchers_copy);
    lua_pop(L, 1);
    lua_getfield(L, -1, "preload");
    freeze_top(L, 1);
    freeze_top(L, 0);  // package itself
    freeze_top(L, 1);  // package.loaded
    lua_pushglobaltable(L);
    freeze_top(L, 1);
    return 0;
}

int lh_freeze_libraries(lua_State *L, int fresh) {
    lua_pushcfunction(L, p_freeze_libraries);
    lua_pushboolean(L, fresh);
    return lh_pcall(L, 1, 0, 0);
}

// A module of labsh's own already loaded and frozen (or not a table): what
// require would return, pushed; 0 (nothing pushed) when require must run.
// labsh's code requires its modules inside functions, once per host.
static int loaded_already(lua_State *L) {
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, lua_tostring(L, 1));  // as require reads it (frozen: through __index)
    lua_remove(L, -2);
    if (lua_toboolean(L, -1) && (lua_type(L, -1) != LUA_TTABLE || lh_is_frozen(L, -1))) return 1;
    lua_pop(L, 1);
    return 0;
}

// require, then a module of labsh's own loaded now is frozen too.
int lh_require_frozen(lua_State *L) {
    int reserved = reserved_name(L, 1);
    if (reserved && loaded_already(L)) return 1;
    if (reserved) restore_searchers(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    if (reserved && lua_gettop(L) >= 1 && lua_type(L, 1) == LUA_TTABLE) {
        lua_pushvalue(L, 1);
        freeze_top(L, 0);
    }
    return lua_gettop(L);
}
