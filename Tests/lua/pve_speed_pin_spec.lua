-- Node certificates remembered between runs (the state directory's
-- pve-certificates): a run after the one that confirmed a node's
-- fingerprint pins the node's key on its first connection, without a
-- handshake of its own first. The file is a cache, never a source of trust:
-- a node whose key changed since fails closed with the same fingerprint
-- mismatch as without the file; an entry whose certificate is not the
-- pinned fingerprint, a corrupt file, a symbolic link or a file others may
-- read are not trusted (the last two refused and said on stderr).
-- Runs under Tests/run-with-servers.sh (the Proxmox VE simulator).

local s = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_support.lua")

-- A child's code: one GET through the inventory's client, counting the
-- handshakes made to learn a certificate (probes) and the requests whose
-- TLS handshake failed; prints them and the error, if any, as JSON.
local COUNTED = [[
local rules = require "labsh.pve"
local probe, perform = rules.probe, rules.perform
local seen = { probes = 0, tls_failures = 0 }
rules.probe = function(...) seen.probes = seen.probes + 1 return probe(...) end
rules.perform = function(...)
  local results = perform(...)
  for _, r in ipairs(results) do
    if r.reason == "tls" then seen.tls_failures = seen.tls_failures + 1 end
  end
  return results
end
local ok, err = pcall(function() return lab.pve.client():get("/version") end)
seen.ok = ok
if not ok then seen.reason, seen.message, seen.expected, seen.seen = err.reason, err.message, err.expected, err.seen end
print(lab.json.encode(seen))
]]

local function run(dir)
  local r = s.labsh(dir, {}, COUNTED)
  assert_eq(r.status, 0, r.stderr)
  return lab.json.decode(r.stdout), r.stderr
end

local function sh(script)
  local r = lab.process.run { argv = { "sh", "-c", script }, timeout = 30 }
  assert_eq(r.status, 0, script .. ": " .. r.stderr)
  return (r.stdout:gsub("%s+$", ""))
end

local function write(path, text, mode)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  sh(("chmod %s '%s'"):format(mode or "600", path))
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

-- Another certificate than the simulator's: its fingerprint and base64 DER.
local function other_certificate()
  local dir = sh("mktemp -d")
  sh(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -keyout '%s/k.pem' "
    .. "-out '%s/c.pem' -subj /CN=127.0.0.1 2>/dev/null"):format(dir, dir))
  local fingerprint = sh(("openssl x509 -in '%s/c.pem' -noout -fingerprint -sha256 | sed 's/.*=//'"):format(dir))
  local der = sh(("openssl x509 -in '%s/c.pem' -outform DER | base64 -w0"):format(dir))
  sh(("rm -rf '%s'"):format(dir))
  return fingerprint, der
end

local function file_of(dir) return dir .. "/state/pve-certificates" end

test("a confirmed certificate is remembered (0600): the next run pins it without a handshake first", function()
  local dir = s.scratch()
  local first = run(dir)
  assert(first.ok, first.message)
  assert_eq(first.probes, 1)
  assert_eq(sh(("stat -c %%a '%s'"):format(file_of(dir))), "600")
  assert(read(file_of(dir)):find(s.env("URL") .. " " .. s.env("FINGERPRINT") .. " ", 1, true), read(file_of(dir)))
  local second = run(dir)
  assert(second.ok, second.message)
  assert_eq(second.probes, 0, "the remembered pin, no handshake first")
  assert_eq(second.tls_failures, 0)
end)

test("a node whose key changed since it was remembered fails closed with the fingerprint mismatch", function()
  -- Remembered: the node had certificate X (pinned in the inventory). Now it has the simulator's.
  local fingerprint, der = other_certificate()
  local dir = s.scratch(s.section { urls = { { url = s.env("URL"), fingerprint = fingerprint } } })
  write(file_of(dir), ("%s %s %s\n"):format(s.env("URL"), fingerprint, der))
  local r = run(dir)
  assert_eq(r.ok, false)
  assert_eq(r.tls_failures, 1, "the remembered pin was tried and the handshake refused it")
  assert_eq(r.probes, 1, "then the certificate was learned")
  assert_eq(r.reason, "tls")
  assert_eq(r.expected, fingerprint)
  assert_eq(r.seen, s.env("FINGERPRINT"))
  assert(r.message:find(("certificate fingerprint mismatch: expected %s, seen %s"):format(fingerprint, s.env("FINGERPRINT")),
    1, true), r.message)
  assert(r.message:find("labsh -m pve trust " .. s.env("URL"), 1, true), r.message)
end)

test("an entry whose certificate is not the pinned fingerprint is never trusted", function()
  -- Planted: the simulator's fingerprint with another key's certificate.
  local _, der = other_certificate()
  local dir = s.scratch()
  write(file_of(dir), ("%s %s %s\n"):format(s.env("URL"), s.env("FINGERPRINT"), der))
  local r = run(dir)
  assert(r.ok, r.message)
  assert_eq(r.tls_failures, 0, "the planted key was never pinned")
  assert_eq(r.probes, 1)
  assert(not read(file_of(dir)):find(der, 1, true), "replaced by the node's own certificate")
  assert_eq(run(dir).probes, 0)
end)

test("a corrupt file is ignored and rewritten", function()
  local dir = s.scratch()
  write(file_of(dir), s.env("URL") .. " " .. s.env("FINGERPRINT") .. " MIIB%%%not-base64\n\0\255garbage\n"
    .. s.env("URL") .. " " .. s.env("FINGERPRINT") .. "\n")
  local r, stderr = run(dir)
  assert(r.ok, r.message)
  assert_eq(r.probes, 1)
  assert_eq(stderr, "")
  assert_eq(run(dir).probes, 0, "rewritten with the confirmed certificate")
end)

test("a symbolic link or a file others may read is refused, said once, and the handshake is made", function()
  local good = s.scratch()
  assert(run(good).ok)
  local remembered = read(file_of(good))

  local linked = s.scratch()
  write(linked .. "/target", remembered)
  sh(("ln -s '%s/target' '%s'"):format(linked, file_of(linked)))
  local r, stderr = run(linked)
  assert(r.ok, r.message)
  assert_eq(r.probes, 1, "the link's entry was not used")
  assert(stderr:find("refusing " .. file_of(linked) .. ": it is a symbolic link", 1, true), stderr)
  local _, warnings = stderr:gsub("warning: lab%.pve:", "")
  assert_eq(warnings, 1, stderr)
  assert_eq(read(linked .. "/target"), remembered, "what the link points to is untouched")

  local open = s.scratch()
  write(file_of(open), remembered, "644")
  r, stderr = run(open)
  assert(r.ok, r.message)
  assert_eq(r.probes, 1, "the readable file's entry was not used")
  assert(stderr:find("refusing " .. file_of(open) .. ": others may read or write it", 1, true), stderr)
end)
