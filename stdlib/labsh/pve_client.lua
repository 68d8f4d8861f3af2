-- labsh.pve_client: one Proxmox VE cluster's API, as lab.pve uses it.
--
-- What it does for every call, in order:
--   1. checks the call against the API schema (labsh.pve, in Swift): a typo
--      in a path or parameter fails here, with the path's parameter list;
--   2. builds the URL from the schema's template, each path segment
--      percent-encoded (a guest name cannot inject "..", "?" or "/");
--   3. trusts the node: a pinned fingerprint is compared with the node's
--      certificate, learned by a TLS handshake that sends nothing else;
--      every request then carries the certificate's public key pin, which
--      curl checks before a byte of the request (or a credential) leaves.
--      A certificate so confirmed is kept in the state directory
--      (pve-certificates): later runs pin it at once, and if the node's
--      key changed, learn the certificate then and fail as above;
--   4. authenticates: an API token, or a ticket (renewed before its 2 h
--      run out) with its CSRFPreventionToken on every write;
--   5. tries the next URL when a node cannot be reached or answers 595/596;
--   6. turns failures into error objects of kind "pve" with a `reason`:
--      auth (401), permission (403: the privilege and ACL path needed),
--      param (400: PVE's message per parameter, or a local schema check),
--      offline (595), busy (596), tls, timeout, task, server, protocol.

local rules = require "labsh.pve"
local secret = require "labsh.secret"
local host = require "labsh.host"

local client = {}
local Client = {}
Client.__index = Client
client.Client = Client

local DEFAULT_TIMEOUT = 30           -- seconds for one request
local MAX_BODY = 64 * 1024 * 1024    -- a bigger answer is an attack or a bug
local TICKET_RENEW = 90 * 60         -- tickets last 2 h: renew well before

local function fail(reason, message, fields)
  fields = fields or {}
  fields.reason = reason
  host.fail("pve", message, fields)
end
client.fail = fail

-- Certificates learned this run, by URL: {fingerprint =, pin =, subject =};
-- `remembered` when only the state directory's file vouches for it so far.
local learned = {}
local warned_insecure = false

--- A client for the `proxmox` section `spec` (as the inventory gives it);
--- `where` names it in errors ("proxmox", "lab.pve.connect").
function client.new(spec, where)
  local ok, config = pcall(rules.config, spec, where or "proxmox")
  if not ok then
    fail("config", type(config) == "table" and tostring(config.message) or tostring(config))
  end
  return setmetatable({ config = config, where = where or "proxmox", current = 1 }, Client)
end

----------------------------------------------------------------------------
-- Trust

-- Node certificates confirmed in earlier runs, kept in the state directory
-- so that a run pins the node's key on its first connection instead of
-- learning the certificate by a handshake of its own first. A cache, never
-- a source of trust: labsh.pve uses an entry only if its certificate's
-- SHA-256 is the fingerprint the inventory pins, and computes the pin itself.
local CERTIFICATES = "pve-certificates"
-- URLs whose remembered certificate failed a handshake this run.
local doubted = {}
local warned_certificates = false

local function warn_certificates(problem)
  if warned_certificates then return end
  warned_certificates = true
  io.stderr:write(("warning: lab.pve: %s; node certificates are checked by a handshake first instead\n")
    :format(problem))
end

-- The file of remembered certificates, or nil without a usable state directory.
local function certificates_file()
  if not lab.sys.locations().state then return nil end
  local ok, dir = pcall(require("labsh.state").dir)
  if not ok then
    warn_certificates(type(dir) == "table" and tostring(dir.message) or tostring(dir))
    return nil
  end
  return dir .. "/" .. CERTIFICATES
end

-- The pin of the certificate remembered for `server` under its pinned
-- fingerprint, or nil.
local function remembered(server)
  if doubted[server.url] then return nil end
  local file = certificates_file()
  if not file then return nil end
  local pin, problem = rules.remembered(file, server.url, server.fingerprint)
  if problem then warn_certificates(problem) end
  return pin
end

-- Keeps a certificate whose fingerprint was just confirmed for later runs.
local function remember(server, leaf)
  local file = certificates_file()
  if not file then return end
  local ok, problem = rules.remember(file, server.url, leaf.certificate)
  if not ok then warn_certificates(problem) end
end

-- The node's leaf certificate, learned without credentials: its
-- fingerprint must be the pinned one. Returns the public-key pin for curl.
local function pinned(server, timeout)
  local known = learned[server.url]
  -- Remembered for another fingerprint (another client of this URL): learn it for real.
  if known and known.remembered and known.fingerprint ~= server.fingerprint then known = nil end
  if not known then
    local pin = remembered(server)
    if pin then
      known = { fingerprint = server.fingerprint, pin = pin, remembered = true }
    else
      local leaf, reason, message = rules.probe(server.url, timeout)
      if not leaf then
        -- Nothing was sent but a handshake: another node may be tried.
        fail(reason == "tls" and "tls" or (reason == "timeout" and "timeout" or "offline"),
          ("%s: %s"):format(server.url, message), { url = server.url, unreached = reason ~= "tls" })
      end
      known = leaf
      if known.fingerprint == server.fingerprint then remember(server, known) end
    end
    learned[server.url] = known
  end
  if known.fingerprint ~= server.fingerprint then
    fail("tls", ("%s: certificate fingerprint mismatch: expected %s, seen %s (subject %s); "
        .. "if the node's certificate was renewed, check it and run: labsh -m pve trust %s")
      :format(server.url, server.fingerprint, known.fingerprint, known.subject, server.url),
      { url = server.url, expected = server.fingerprint, seen = known.fingerprint })
  end
  return known.pin
end

-- After a handshake failed with a remembered pin: the node's certificate
-- may have changed since it was remembered. It is learned now, so a changed
-- one fails with the fingerprint mismatch, as without the file; an
-- unchanged one leaves the handshake's own error to be reported.
local function recheck(self, url, timeout)
  for _, server in ipairs(self.config.servers) do
    local known = learned[server.url]
    local base = server.url:gsub("/+$", "") .. "/"
    if server.fingerprint and known and known.remembered and url:sub(1, #base) == base then
      learned[server.url], doubted[server.url] = nil, true
      pinned(server, timeout)
    end
  end
end

-- The TLS fields of a request to `server`.
local function trust(self, server, request)
  if server.fingerprint then
    request.pin = pinned(server, request.timeout)
  elseif server.ca_file then
    request.ca_file = server.ca_file
  elseif self.config.insecure then
    if not warned_insecure then
      warned_insecure = true
      io.stderr:write(("warning: %s.insecure: TLS of %s is not verified; pin its certificate "
        .. "(labsh -m pve trust %s)\n"):format(self.where, server.url, server.url))
    end
    request.insecure = true
  end
end

----------------------------------------------------------------------------
-- Authentication

-- Printable ASCII without spaces, quotes, ';' or ',': what a token, ticket
-- or CSRF token may hold in a header. Never echoed in errors.
local function header_safe(value)
  return type(value) == "string" and value ~= "" and not value:find("[^%w%-%._~:/+=!@]")
end

-- The token's header value, read from its reference at each request.
local function token_header(self)
  local value = secret.resolve(self.config.token, self.where .. ".token")
  if not value:match("^[^@%s]+@[^!%s]+![^=%s]+=.+$") or not header_safe(value) then
    fail("config", ("%s.token (%s): expected USER@REALM!TOKENID=SECRET of printable characters")
      :format(self.where, self.config.token))
  end
  return "PVEAPIToken=" .. value
end

-- A ticket from POST /access/ticket (no CSRF token needed there).
local function log_in(self)
  local password = secret.resolve(self.config.password, self.where .. ".password")
  local data = self:send("POST", "/access/ticket", { username = self.config.user, password = password },
    { anonymous = true })
  if type(data) ~= "table" or not header_safe(data.ticket) or not header_safe(data.CSRFPreventionToken) then
    fail("auth", "POST /access/ticket: the answer holds no usable ticket")
  end
  require("labsh.gate").secret(data.ticket)
  self.ticket = { value = data.ticket, csrf = data.CSRFPreventionToken, at = lab.sys.monotonic() }
end

-- Headers that authenticate a request.
local function auth_headers(self, method, headers)
  if self.config.token then
    headers[#headers + 1] = { "Authorization", token_header(self) }
    return
  end
  if not self.ticket or lab.sys.monotonic() - self.ticket.at > TICKET_RENEW then log_in(self) end
  headers[#headers + 1] = { "Cookie", "PVEAuthCookie=" .. self.ticket.value }
  if method ~= "GET" then headers[#headers + 1] = { "CSRFPreventionToken", self.ticket.csrf } end
end

----------------------------------------------------------------------------
-- Requests

-- application/x-www-form-urlencoded, as PVE reads query strings and bodies.
local function form(fields)
  local parts = {}
  for _, f in ipairs(fields) do
    parts[#parts + 1] = rules.segment(f[1]) .. "=" .. rules.segment(f[2])
  end
  return table.concat(parts, "&")
end

-- The URL path of a checked call: the template with each variable encoded.
local function api_path(checked)
  return (checked.template:gsub("{([^}]+)}", function(name)
    return rules.segment(checked.variables[name])
  end))
end

--- Checks a call against the schema: the checked call, or a "param" error.
function client.check(method, path, params)
  if type(path) ~= "string" then fail("param", "path must be a string like \"/cluster/resources\"") end
  if params ~= nil and type(params) ~= "table" then fail("param", "parameters must be a table of name = value") end
  local ok, checked = pcall(rules.check, method, path, params)
  if not ok then
    fail("param", type(checked) == "table" and tostring(checked.message) or tostring(checked),
      { method = method, path = path, ["local"] = true })
  end
  return checked
end

-- Parameters whose values a plan, a dry run or the audit log never shows.
local function is_secret_name(name)
  local lower = name:lower()
  return lower:find("password", 1, true) or lower:find("secret", 1, true) or lower:find("token", 1, true)
end

--- What a call would send, for a plan, a dry run or the audit log:
--- "POST /api2/json/... a=1&b=2", a password's value shown as <redacted>.
function client.describe(method, checked)
  local text = ("%s /api2/json%s"):format(method, api_path(checked))
  local parts = {}
  for i, f in ipairs(checked.fields) do
    parts[i] = is_secret_name(f[1]) and (rules.segment(f[1]) .. "=<redacted>") or form { f }
  end
  if #parts > 0 then text = text .. " " .. table.concat(parts, "&") end
  return text
end

-- PVE's per-parameter messages of a 400: {errors = {name = message}}.
local function parameter_errors(decoded)
  local errors = type(decoded) == "table" and decoded.errors
  if type(errors) ~= "table" then return nil end
  local names, lines = {}, {}
  for name in pairs(errors) do names[#names + 1] = tostring(name) end
  table.sort(names)
  for _, name in ipairs(names) do lines[#lines + 1] = ("%s: %s"):format(name, tostring(errors[name])) end
  return errors, table.concat(lines, "; ")
end

-- The status line's reason (PVE puts its message there) without controls.
local function said(result)
  return (tostring(result.reason or ""):gsub("[%c]", " "):sub(1, 300))
end

-- The data of a 200, or an error object for anything else.
local function answer(self, method, path, checked, result, url)
  local status = result.status
  local where = ("%s %s"):format(method, path)
  local fields = { status = status, method = method, path = path, url = url }
  -- labsh.pve.perform decoded the JSON (prepare asks it to); nil when the
  -- body was empty or not JSON.
  local decoded = result.decoded
  if status >= 300 and status < 400 then
    fail("protocol", ("%s: the node answered a redirect (%d) to %s: refused, a PVE node never redirects")
      :format(where, status, (tostring(result.headers.location):gsub("%c", "?"))), fields)
  elseif status == 401 then
    fail("auth", ("%s: authentication failed (401 %s)"):format(where, said(result)), fields)
  elseif status == 403 then
    fields.privilege = checked.privilege
    fail("permission", ("%s: permission denied (403 %s): needs %s"):format(where, said(result), checked.privilege), fields)
  elseif status == 400 then
    local errors, text = parameter_errors(decoded)
    fields.errors = errors
    fail("param", ("%s: bad parameters (400 %s)%s"):format(where, said(result), text and (": " .. text) or ""), fields)
  elseif status == 595 then
    fail("offline", ("%s: node offline or unreachable (595 %s)"):format(where, said(result)), fields)
  elseif status == 596 then
    fail("busy", ("%s: node busy (596 %s)"):format(where, said(result)), fields)
  elseif status ~= 200 then
    fail("server", ("%s: %d %s"):format(where, status, said(result)), fields)
  end
  if type(decoded) ~= "table" then
    fail("protocol", ("%s: the answer is not JSON"):format(where), fields)
  end
  local data = decoded.data
  if data == nil then fail("protocol", ("%s: the answer has no 'data'"):format(where), fields) end
  return data
end

-- Whether a result of labsh.pve.perform never reached the node (refused,
-- unknown host, no answer to connect): nothing was sent, so another node
-- may be asked, even for a write.
local function unreached(result)
  return not result.status and (result.reason == "connect"
    or (result.reason == "timeout" and tostring(result.message):find("^connect timed out") ~= nil))
end
client.unreached = unreached

-- The request for a checked call to server number `index` (trusted and
-- authenticated), and its URL.
function Client:prepare(method, checked, index, opts)
  local server = self.config.servers[index]
  local url = server.url:gsub("/+$", "") .. "/api2/json" .. api_path(checked)
  local request = { method = method, timeout = opts.timeout or self.config.timeout or DEFAULT_TIMEOUT,
                    max_bytes = MAX_BODY, headers = {}, decode = true }
  local body = form(checked.fields)
  if method == "GET" or method == "DELETE" then
    request.url = url .. (body ~= "" and ("?" .. body) or "")
  else
    request.url, request.body = url, body
    request.headers[1] = { "Content-Type", "application/x-www-form-urlencoded" }
  end
  trust(self, server, request)
  if not opts.anonymous then auth_headers(self, method, request.headers) end
  return request, url
end

--- The data of a result of labsh.pve.perform for a checked call, or its
--- error raised (see answer).
function Client:finish(method, path, checked, result, url)
  if result.status then return answer(self, method, path, checked, result, url) end
  if result.reason == "tls" then recheck(self, url, self.config.timeout or DEFAULT_TIMEOUT) end
  local reason = result.reason == "connect" and "offline"
    or (result.reason == "tls" or result.reason == "timeout") and result.reason or "protocol"
  fail(reason, ("%s %s: %s"):format(method, path, result.message), { method = method, path = path, url = url })
end

-- Writes are sent only from inside the mutation gate (lab.pve's post, put
-- and delete open it around the call): a script calling send itself
-- cannot skip the dry run, the question or the audit.
local gate_depth = 0

--- Runs fn with writes allowed: only lab.pve's writes, inside gate.perform.
function client.inside_gate(fn, ...)
  gate_depth = gate_depth + 1
  local result = table.pack(pcall(fn, ...))
  gate_depth = gate_depth - 1
  if not result[1] then error(result[2], 0) end
  return table.unpack(result, 2, result.n)
end

-- A 401 with a ticket: the ticket expired early (the node's clock, a
-- restart); one fresh login, one more try.
local function expired_ticket(self, err, opts)
  return type(err) == "table" and err.reason == "auth" and self.config.user and not opts.anonymous
    and not opts.renewed
end

--- Sends one request and returns the `data` of the answer, trying the
--- next URL when a node cannot be reached or answers 595/596.
--- opts: timeout, anonymous (no credentials: the ticket request itself).
function Client:send(method, path, params, opts)
  opts = opts or {}
  if method ~= "GET" and not opts.anonymous then
    if gate_depth == 0 then
      fail("gate", ("%s %s: writes go through lab.pve.post, put or delete (the mutation gate)"):format(method, path))
    end
    if lab.options.dry_run then fail("gate", ("%s %s: not sent under --dry-run"):format(method, path)) end
  end
  local ok, data = pcall(self.attempt, self, method, path, params, opts)
  if ok then return data end
  if not expired_ticket(self, data, opts) then error(data, 0) end
  self.ticket = nil
  local again = {}
  for k, v in pairs(opts) do again[k] = v end
  again.renewed = true
  return self:attempt(method, path, params, again)
end

-- One try of send: every URL in turn from the one that answered last.
function Client:attempt(method, path, params, opts)
  local checked = client.check(method, path, params)
  local count = #self.config.servers
  for attempt = 0, count - 1 do
    local index = (self.current - 1 + attempt) % count + 1
    local last = attempt == count - 1
    local ok, request, url = pcall(self.prepare, self, method, checked, index, opts)
    if not ok then
      local err = request
      if last or type(err) ~= "table" or not err.unreached then error(err, 0) end
    else
      local result = rules.perform({ request })[1]
      local next_node = result.status == 595 or result.status == 596 or unreached(result)
      -- A write that timed out after it was sent may have happened: it is
      -- never sent again elsewhere.
      if last or not next_node then
        if not next_node then self.current = index end
        return self:finish(method, path, checked, result, url)
      end
    end
  end
end

return client
