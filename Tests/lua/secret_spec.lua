-- labsh.secret and the credentials labsh.endpoint sends: secrets are
-- references (env:NAME, file:PATH) read at use, and never shown in errors.

local support = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/monitoring_support.lua")
local secret = require "labsh.secret"
local endpoint = require "labsh.endpoint"

test("env: and file: references", function()
  assert_eq(secret.resolve("env:HOME"), os.getenv("HOME"))
  local path = write_temp("s3cret-token\r\nsecond line\n")
  assert_eq(secret.resolve("file:" .. path), "s3cret-token", "first line, no CR")
  os.remove(path)
end)

test("missing secrets fail naming the reference and who asked", function()
  local err = support.error_of("secret", secret.resolve, "env:LABSH_NO_SUCH_VARIABLE", "monitoring.prometheus.bearer")
  assert_eq(err.message, "secret env:LABSH_NO_SUCH_VARIABLE (monitoring.prometheus.bearer): "
    .. "environment variable LABSH_NO_SUCH_VARIABLE is not set")
  err = support.error_of("secret", secret.resolve, "file:/nonexistent/labsh.pass")
  assert(err.message:find("^secret file:/nonexistent/labsh.pass: cannot read"), err.message)
  local empty = write_temp("")
  assert(support.error_of("secret", secret.resolve, "file:" .. empty).message:find("empty", 1, true))
  os.remove(empty)
end)

test("a literal secret is refused without being echoed", function()
  local err = support.error_of("secret", secret.resolve, "hunter2", "monitoring.alertmanager.password")
  assert(not err.message:find("hunter2", 1, true), err.message)
  err = support.error_of("secret", secret.resolve, "token:hunter2")
  assert(not err.message:find("hunter2", 1, true), err.message)
end)

test("endpoints send bearer or basic credentials read at use", function()
  local path = write_temp("pa55word\n")
  local basic = endpoint.new("alertmanager", { url = "http://127.0.0.1:9/", user = "ops", password = "file:" .. path })
  assert_same(basic:http_options().auth, { basic = { "ops", "pa55word" } })
  assert_eq(basic.base, "http://127.0.0.1:9", "no trailing slash")
  local f = assert(io.open(path, "w"))
  f:write("rotated\n")
  f:close()
  assert_same(basic:http_options().auth, { basic = { "ops", "rotated" } }, "read again at each request")
  os.remove(path)
  local bearer = endpoint.new("prometheus", { url = "https://prom:9090", bearer = "env:HOME", ca_file = "/ca.pem" })
  local options = bearer:http_options()
  assert_same(options.auth, { bearer = os.getenv("HOME") })
  assert_eq(options.ca_file, "/ca.pem")
end)

test("a bad endpoint is refused with an error of its kind", function()
  assert(support.error_of("prometheus", lab.prom.connect, "prom:9090").message:find("lab.prom.connect", 1, true))
  support.error_of("alertmanager", lab.alertmanager.connect, { url = "ftp://x" })
  support.error_of("pushgateway", lab.push.connect, {})
end)
