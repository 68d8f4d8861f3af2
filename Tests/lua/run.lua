-- labsh's own specs: the runner is stdlib/labsh/spec.lua (the one
-- `labsh -m test` runs a shared library's specs with), in standard Lua, so
-- it runs under `lua5.4` and under `labsh` alike.
--
--   lua5.4 Tests/lua/run.lua Tests/lua/*_spec.lua
--
-- Modules load from stdlib/ under the repository root: $LABSH_ROOT, else
-- the current directory. The exit status is 1 when anything failed.

local root = os.getenv("LABSH_ROOT") or "."
package.path = ("%s/stdlib/?.lua;%s/stdlib/?/init.lua;"):format(root, root)
  .. package.path

local files = { ... }
if #files == 0 then
  io.stderr:write("usage: lua5.4 Tests/lua/run.lua SPEC.lua...\n")
  os.exit(2)
end

local _, failed = require("labsh.spec").run(files)
if failed > 0 then os.exit(1) end
