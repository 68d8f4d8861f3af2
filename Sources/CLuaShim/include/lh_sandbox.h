// Evaluating a file that is data (an inventory) where nothing it does can
// reach labsh: a fresh lua_State of its own, with its own allocator and
// memory cap, a time budget, and only the pure libraries; plain data is
// then copied out into the caller's state. See sandbox.c.
#ifndef LH_SANDBOX_H
#define LH_SANDBOX_H

#include <lua5.4/lua.h>

// A lua_CFunction, bound into Lua as labsh.sandbox.evaluate:
//   evaluate(text, name [, seconds [, bytes]]) -> value
//                                             | nil, message, reason
// `text` is Lua source (binary chunks are refused) named `name` in messages;
// `seconds` (default 2) and `bytes` (default 256 MiB) are its budget.
// `reason` is "syntax", "error", "time", "memory" or "data" (what came out
// is not plain data). A pending stop of labsh (Ctrl-C, SIGTERM, --timeout)
// ends the evaluation and is raised as the stop's own error.
int lh_sandbox_evaluate(lua_State *L);

#endif
