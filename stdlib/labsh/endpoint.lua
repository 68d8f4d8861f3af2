-- labsh.endpoint: one live system labsh talks to over HTTP (Prometheus,
-- Alertmanager, the Pushgateway): where it is, how to trust and log in to
-- it, and its failures as error objects of its own kind ("prometheus"...).
--
-- An endpoint comes from the inventory's `monitoring` section or from a
-- connect{} call, in the same shape: a URL, or
--   { url =, ca_file =, insecure =, bearer = "env:NAME", user =, password = "file:PATH", timeout = }
-- Secrets are references (labsh.secret), read at each request: a rotated
-- token is picked up, and none is kept in a Lua table to print by mistake.
-- The shape is checked by the inventory's own rules (labsh.monitoring, in
-- Swift): bearer or user and password, never both; env: names a variable.

local secret = require "labsh.secret"
local rules = require "labsh.monitoring"

local endpoint = {}
-- An endpoint's metatable: not the module itself, whose fields a manifest's
-- freezing moves out of reach of a raw __index lookup.
local Endpoint = { __index = endpoint }

local TITLES = { prometheus = "Prometheus", alertmanager = "Alertmanager", pushgateway = "Pushgateway" }
local DEFAULT_TIMEOUT = 30  -- seconds for a whole request

local function fail(kind, message, fields)
  require("labsh.host").fail(kind, message, fields)
end

--- An endpoint of `kind` ("prometheus", "alertmanager", "pushgateway")
--- from a URL or an endpoint table; `where` names it in errors.
function endpoint.new(kind, spec, where)
  where = where or (kind .. " endpoint")
  local ok, checked = pcall(rules.endpoint, spec, where)
  if not ok then fail(kind, tostring(type(checked) == "table" and checked.message or checked)) end
  checked.timeout = type(spec) == "table" and spec.timeout or nil  -- lab.http checks it
  return setmetatable({
    kind = kind, title = TITLES[kind], where = where,
    base = checked.url:gsub("/+$", ""), spec = checked,
  }, Endpoint)
end

--- The inventory's endpoint of `kind`, or an error saying where to set it.
function endpoint.configured(kind)
  local monitoring = lab.inventory.current().monitoring
  local spec = monitoring and monitoring[kind]
  if not spec then
    fail(kind, ("no %s configured: set monitoring.%s in the inventory"):format(TITLES[kind], kind))
  end
  return endpoint.new(kind, spec, "monitoring." .. kind)
end

--- Gives a client module its two ways in: `module.connect = connect`, a
--- client for any server, and `module.NAME(...)` for each of `methods`,
--- asking the inventory's server through `configured()`, looked up at each
--- call (the inventory may change between calls). Returns `configured`.
--- lab.pve's clients come this way too.
function endpoint.client_ways(module, connect, configured, methods)
  module.connect = connect
  for _, method in ipairs(methods or {}) do
    module[method] = function(...)
      local client = configured()
      return client[method](client, ...)
    end
  end
  return configured
end

--- client_ways for an HTTP monitoring endpoint (lab.prom, lab.alertmanager,
--- lab.push): clients of `Client` around an endpoint of `kind`.
function endpoint.client_module(module, name, kind, Client, methods)
  return endpoint.client_ways(module,
    function(spec) return setmetatable({ endpoint = endpoint.new(kind, spec, name .. ".connect") }, Client) end,
    function() return setmetatable({ endpoint = endpoint.configured(kind) }, Client) end,
    methods)
end

-- lab.http options that reach and authenticate to the endpoint.
function endpoint:http_options()
  local spec = self.spec
  local options = {
    ca_file = spec.ca_file, insecure = spec.insecure,
    timeout = spec.timeout or DEFAULT_TIMEOUT, raise_status = false,
  }
  if spec.bearer then
    options.auth = { bearer = secret.resolve(spec.bearer, self.where .. ".bearer") }
  elseif spec.user then
    options.auth = { basic = { spec.user, secret.resolve(spec.password, self.where .. ".password") } }
  end
  return options
end

-- What the server said went wrong, from its body: Prometheus sends
-- {status = "error", errorType =, error =}, Alertmanager a JSON string or
-- {message =}, the Pushgateway plain text.
local function server_error(body)
  local ok, decoded = pcall(lab.json.decode, body)
  if ok and type(decoded) == "table" then
    return decoded.error or decoded.message, decoded.errorType
  elseif ok and type(decoded) == "string" then
    return decoded
  end
  return (body or ""):match("^%s*(.-)%s*$")
end

--- Sends a request to `path` under the endpoint and returns the response.
--- `request` holds lab.http options (query, json, body, headers) and
--- `what`, a few words for error messages ('query "up"'). An HTTP error
--- status or a failed connection raises an error object of the endpoint's
--- kind with status, error_type, reason, url and method.
function endpoint:send(method, path, request)
  local options = self:http_options()
  for key, value in pairs(request or {}) do
    if key ~= "what" then options[key] = value end
  end
  options.method, options.url = method, self.base .. path
  local what = request and request.what
  local context = ("%s %s%s"):format(method, options.url, what and (", " .. what) or "")
  local ok, response = pcall(lab.http.request, options)
  if not ok then
    local err = response
    if type(err) ~= "table" or err.kind ~= "http" then error(err, 0) end
    fail(self.kind, ("%s unreachable: %s%s"):format(self.title, err.message or err.reason,
        what and (" (" .. what .. ")") or ""),
      { reason = err.reason, url = options.url, method = method })
  end
  if response.status >= 400 then
    local message, error_type = server_error(response.body)
    fail(self.kind, ("%s: %s%s (HTTP %d, %s)"):format(self.title, error_type and (error_type .. ": ") or "",
        message ~= "" and message or "no reason given", response.status, context),
      { status = response.status, error_type = error_type, url = options.url, method = method,
        body = response.body })
  end
  return response
end

--- A URL under the endpoint, for messages (dry runs).
function endpoint:url(path)
  return self.base .. path
end

return endpoint
