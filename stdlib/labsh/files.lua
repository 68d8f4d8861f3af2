-- labsh.files: reading and writing whole files the way labsh does it
-- (DESIGN.md: never half a file, never through a planted name).

local files = {}

--- The whole content of `path`, or nil when it cannot be read.
function files.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

--- Writes `text` to `path` all or nothing. Returns true, or nil and the
--- reason ("the directory /srv/out does not exist").
---
--- The text goes to a new file beside `path` under a name nobody can guess
--- (created with O_EXCL|O_NOFOLLOW, so a file or symbolic link planted in
--- the directory is never opened), is synced to disk, then renamed over
--- `path`, and the directory is synced: readers see the old file or the new
--- one, also after a crash or a signal. If `path` itself is a symbolic
--- link, the link is replaced by the file; what it pointed to is untouched.
---
--- `opts.mode` sets the new file's permissions exactly (a number such as
--- tonumber("640", 8), or the octal text "640"); without it the file gets
--- 0644 less the umask, never the old file's mode.
function files.write_atomically(path, text, opts)
  local mode = opts and opts.mode
  if type(mode) == "string" then mode = tonumber(mode, 8) end
  return require("labsh.filesystem").write_file(path, text, mode)  -- here: specs read files under plain lua5.4
end

return files
