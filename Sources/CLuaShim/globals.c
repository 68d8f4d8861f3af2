// labsh's two small globals, `help` and `labsh`, as C functions: as Lua
// chunks they were parsed from source at every start, -e '' included.
// Both look `require` up as a global when called, as the chunks did.
#include "lh.h"

// require(name), its one result left on the stack.
static void require_module(lua_State *L, int name) {
    lua_getglobal(L, "require");
    lua_pushvalue(L, name);
    lua_call(L, 1, 1);
}

// help(...): require("labsh.help").show(...)
static int help(lua_State *L) {
    int n = lua_gettop(L);
    lua_pushliteral(L, "labsh.help");
    require_module(L, n + 1);
    lua_getfield(L, -1, "show");
    lua_insert(L, 1);
    lua_settop(L, n + 1);  // show, then the arguments
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

// labsh.NAME: require("labsh." .. NAME); the module is not cached here,
// require's own table keeps it.
static int labsh_index(lua_State *L) {
    lua_pushliteral(L, "labsh.");
    lua_pushvalue(L, 2);
    lua_concat(L, 2);
    require_module(L, lua_gettop(L));
    return 1;
}

static int p_install(lua_State *L) {
    lua_pushcfunction(L, help);
    lua_setglobal(L, "help");
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, labsh_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setglobal(L, "labsh");
    return 0;
}

int lh_install_globals(lua_State *L) {
    lua_pushcfunction(L, p_install);
    return lh_pcall(L, 0, 0, 0);
}
