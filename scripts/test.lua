-- test: run a shared library's specs with the runner of labsh's own specs.
--
--   labsh test [DIR...]      every DIR/specs/*_spec.lua (a library, see
--                            `labsh -m library`) or DIR/*_spec.lua; DIR
--                            defaults to the current directory. `labsh test`
--                            is `labsh -m test` (unless a file named test is
--                            in the current directory: lua runs that)
--
-- Specs call test(name, fn) and the assertions labsh's own specs use
-- (assert_eq, assert_same...), plus run_script(NAME, ARGS, OPTS) (the
-- library's script in a child labsh: status, stdout, stderr),
-- assert_dry_run_changes_nothing and temp_dir. The library's modules
-- (lib/) load with require. A library's code runs only once it is trusted.
--
-- Output: a line per failure, then "N passed, M failed".
-- Exit status: 0 all passed, 1 a spec failed or the library is refused, 2 usage.

local cli = require "labsh.cli"
local library = require "labsh.library"
local spec = require "labsh.spec"

local opts = cli.parse({ ... }, {
  name = "test",
  summary = "run the specs of shared libraries (DIR/specs/*_spec.lua) or of directories",
  args = { { "DIR", "a library or a directory of *_spec.lua files (default: the current directory)", key = "dirs", multiple = true } },
  exit = "0 all passed, 1 a spec failed or a library is not trusted, 2 usage",
})

local function refuse(message)
  io.stderr:write("test: ", message, "\n")
  os.exit(1)
end

-- The spec files of `dir`, sorted.
local function spec_files(dir)
  local found = {}
  for _, name in ipairs(require("labsh.filesystem").list(dir) or {}) do
    if name:match("_spec%.lua$") then found[#found + 1] = dir .. "/" .. name end
  end
  return found
end

local dirs = opts.dirs
if not dirs or #dirs == 0 then dirs = { "." } end

local files, libraries = {}, {}
for _, dir in ipairs(dirs) do
  local specs_dir, library_path = dir, nil
  if library.is_library(dir) then
    local status = library.status(dir)
    if not status.trusted then
      refuse(("the library %s is not trusted (its specs run its code); review it, then run: "
        .. "labsh -m library trust %s"):format(status.path, dir))
    end
    library_path = status.path
    package.path = ("%s/lib/?.lua;%s/lib/?/init.lua;"):format(status.path, status.path) .. package.path
    specs_dir = dir .. "/specs"
  end
  local found = spec_files(specs_dir)
  if #found == 0 then refuse(("no *_spec.lua in %s"):format(specs_dir)) end
  for _, file in ipairs(found) do
    files[#files + 1] = file
    libraries[file] = library_path
  end
end

local _, failed = spec.run(files, libraries)
if failed > 0 then os.exit(1) end
