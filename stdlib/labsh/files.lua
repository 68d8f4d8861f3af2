-- labsh.files: reading and writing whole files the way labsh does it
-- (DESIGN.md: never half a file).

local files = {}

--- The whole content of `path`, or nil when it cannot be read.
function files.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

--- Writes `text` to `path` all or nothing: a temporary file beside it, then
--- rename. Returns true, or nil and the reason (the temporary file removed).
--- Lua cannot fsync: the rename makes the switch atomic, not durable against
--- power loss. The new file gets the umask's permissions, not the old file's.
function files.write_atomically(path, text)
  local dir, name = path:match("^(.*)/([^/]+)$")
  if not dir then dir, name = ".", path end
  local temp = ("%s/.%s.%d.tmp"):format(dir, name, lab.sys.pid())
  local f, err = io.open(temp, "wb")
  if not f then return nil, err end
  local ok, why = f:write(text)
  if ok then ok, why = f:flush() end
  local closed, close_why = f:close()
  if ok and closed then
    ok, why = os.rename(temp, path)
    if ok then return true end
    why = ("cannot rename %s to %s: %s"):format(temp, path, why)
  end
  os.remove(temp)
  return nil, why or close_why
end

return files
