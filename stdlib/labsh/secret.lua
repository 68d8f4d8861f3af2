-- labsh.secret: secrets named by reference, read when they are used.
--
-- An inventory never holds a password or token itself, only where to find
-- it: "env:NAME" (an environment variable) or "file:PATH" (the first line of
-- a file, e.g. one systemd's LoadCredential= or a secrets manager put there).
-- Errors name the reference, never the secret. What counts as a reference
-- is the inventory's rule (labsh.monitoring, in Swift): env: takes a
-- variable's name (letters, digits, _), file: a path.

local rules = require "labsh.monitoring"

local secret = {}

local function fail(reference, where, why)
  require("labsh.host").fail("secret", ("secret %s%s: %s"):format(
    reference, where and (" (" .. where .. ")") or "", why), { reference = reference })
end

--- The secret a reference names. `where` says who asked, for errors
--- ("monitoring.prometheus.bearer").
function secret.resolve(reference, where)
  if type(reference) ~= "string" then
    fail(tostring(reference), where, "expected a reference env:NAME or file:PATH")
  end
  local parsed, kind, name = pcall(rules.secret, reference)
  if not parsed then
    -- Said without echoing any of the text: all of it may be the secret.
    fail("(not a reference)", where, "expected env:NAME or file:PATH, not the secret itself")
  end
  if kind == "env" then
    local value = os.getenv(name)
    if not value or value == "" then fail(reference, where, "environment variable " .. name .. " is not set") end
    require("labsh.gate").secret(value)  -- kept out of the audit log
    return value
  end
  require("labsh.capabilities").check("secrets", reference, "read")  -- under a script's manifest
  local file, why = io.open(name, "r")
  if not file then fail(reference, where, "cannot read: " .. tostring(why)) end
  local line = file:read("l")
  file:close()
  if not line or line == "" then fail(reference, where, "the file's first line is empty") end
  line = line:gsub("\r$", "")
  require("labsh.gate").secret(line)  -- kept out of the audit log
  return line
end

return secret
