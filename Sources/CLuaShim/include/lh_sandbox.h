// Evaluating a file that is data (an inventory) where nothing it does can
// reach labsh: a fresh lua_State of its own, with its own allocator and
// memory cap, a time budget, and only the pure libraries. See sandbox.c.
//
// Nothing here raises in the caller's state: call these from Swift. The
// caller reads the result in the sandbox's own state (raw API only) or has
// parts of it copied into its state, then closes the sandbox.
#ifndef LH_SANDBOX_H
#define LH_SANDBOX_H

#include <stddef.h>
#include <lua5.4/lua.h>

typedef struct lh_sandbox lh_sandbox;

// Evaluates Lua source `text` (binary chunks are refused), called `name` in
// messages, within `seconds` and `bytes`; then checks that what it returned
// is plain data. NULL only when there is no memory for a state at all.
lh_sandbox *lh_sandbox_open(const char *text, size_t length, const char *name, double seconds, size_t bytes);

// NULL when the file returned plain data; else the message ("FILE: took
// longer than 2 s to evaluate", "FILE: nodes[2].name: function values cannot
// be inventory data", "FILE:3: ...") and in *reason why: "syntax", "error",
// "time", "memory", "data" or "stopped" (labsh was asked to stop: its stop
// hook raises that stop once the caller returns to Lua).
const char *lh_sandbox_failure(lh_sandbox *sb, const char **reason);

// The sandbox's state and the index of the result in it, for raw reads.
lua_State *lh_sandbox_state(lh_sandbox *sb);
int lh_sandbox_result(lh_sandbox *sb);

// Pushes onto L a copy of result[key] (nil when absent), and with `remove`
// takes it out of the result. Returns 0 if S ran out of memory (nothing pushed).
int lh_sandbox_push_field(lh_sandbox *sb, const char *key, int remove, lua_State *L);

void lh_sandbox_close(lh_sandbox *sb);

#endif
