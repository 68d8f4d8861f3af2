-- lab.http against a real HTTP server on loopback (Tests/servers/http_fixture.py,
-- started here on free ports and stopped by the last test, or when labsh
-- exits). Nothing leaves 127.0.0.0/8. Runs under labsh only.
--
-- Not tested: "unknown host" (a lookup of a .invalid name may still reach the
-- configured DNS server, which is off this machine).

local labsh = os.getenv("LABSH_BIN") or arg[-1]
local fixture  -- { base =, tls =, ca =, pid = , pipe = }

local function server()
  if fixture then return fixture end
  local pipe = assert(io.popen("exec python3 Tests/servers/http_fixture.py", "r"))
  local line = pipe:read("l") or ""
  local http, https, ca, pid = line:match("^http=(%d+) https=(%d+) ca=(%S+) pid=(%d+)$")
  assert(http, "fixture did not start: " .. line)
  fixture = {
    base = "http://127.0.0.1:" .. http, tls = "https://127.0.0.1:" .. https,
    ca = ca, pid = pid, pipe = pipe,
  }
  return fixture
end

local function url(path) return server().base .. path end

-- The error a call raises (fails if it does not raise).
local function raised(fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error")
  return err
end

local function clock() return lab.sys.monotonic() end

-- The value of a top-level JSON field in a flat echo (no lab.json needed).
local function echoed(body, name)
  return body:match('"' .. name:gsub("%p", "%%%0") .. '": "(.-)"')
end

test("GET: status, lower-cased headers, body, url, elapsed", function()
  local r = lab.http.get(url("/status/200?body=hello"))
  assert_eq(getmetatable(r).__name, "lab.HTTPResponse")
  assert_eq(r.status, 200)
  assert_eq(r.body, "hello")
  assert_eq(r.headers["content-type"], "text/plain")
  assert_eq(r.headers["content-length"], "5")
  assert_eq(r.url, url("/status/200?body=hello"))
  assert(r.elapsed > 0 and r.elapsed < 5, "elapsed " .. r.elapsed)
  assert(tostring(r):find("200 OK", 1, true), tostring(r))
end)

test("query is URL-encoded with sorted names; headers are sent", function()
  local r = lab.http.get(url("/echo"), {
    query = { z = "last", a = "x y&z=1", tag = { "b", "a" }, n = 5 },
    headers = { ["X-Trace"] = "abc" },
  })
  assert_eq(echoed(r.body, "query"), "a=x%20y%26z%3D1&n=5&tag=b&tag=a&z=last")
  assert_eq(echoed(r.body, "x-trace"), "abc")
  assert(echoed(r.body, "user-agent"):match("^labsh/"), r.body)
end)

test("methods and bodies", function()
  local r = lab.http.post(url("/echo"), { body = "a=1\0b" })
  assert_eq(echoed(r.body, "method"), "POST")
  assert_eq(echoed(r.body, "body"), "a=1\\u0000b")
  r = lab.http.put(url("/echo"), { body = "x", headers = { ["Content-Type"] = "text/plain" } })
  assert_eq(echoed(r.body, "method"), "PUT")
  assert_eq(echoed(r.body, "content-type"), "text/plain")
  assert_eq(echoed(lab.http.delete(url("/echo")).body, "method"), "DELETE")
  r = lab.http.request { method = "PATCH", url = url("/echo"), body = "p" }
  assert_eq(echoed(r.body, "method"), "PATCH")
  r = lab.http.request { method = "HEAD", url = url("/status/200") }
  assert_eq(r.body, "")
end)

test("basic and bearer auth", function()
  local r = lab.http.get(url("/echo"), { auth = { basic = { "alice", "s3cret" } } })
  assert_eq(echoed(r.body, "authorization"), "Basic YWxpY2U6czNjcmV0")
  r = lab.http.get(url("/echo"), { auth = { bearer = "tok" } })
  assert_eq(echoed(r.body, "authorization"), "Bearer tok")
end)

test("a status >= 400 raises an error object with the body", function()
  local err = raised(lab.http.get, url("/status/503"))
  assert_eq(err.kind, "http")
  assert_eq(err.reason, "status")
  assert_eq(err.status, 503)
  assert_eq(err.method, "GET")
  assert_eq(err.url, url("/status/503"))
  assert_eq(err.body, "status 503 body\nsecond line")
  assert_eq(err.message, "GET " .. url("/status/503") .. ": 503 Service Unavailable: status 503 body")
  assert_eq(tostring(err), err.message)
  err = raised(lab.http.get, url("/status/404?body=gone"))
  assert_eq(err.message, "GET " .. url("/status/404?body=gone") .. ": 404 Not Found: gone")
end)

test("raise_status = false returns the response", function()
  local r = lab.http.get(url("/status/422?body=bad"), { raise_status = false })
  assert_eq(r.status, 422)
  assert_eq(r.body, "bad")
end)

test("connection refused on a closed loopback port", function()
  local err = raised(lab.http.get, "http://127.0.0.1:9/x")
  assert_eq(err.reason, "connect")
  assert_eq(err.message, "GET http://127.0.0.1:9/x: connection refused")
  assert_eq(err.status, nil)
end)

test("timeout: a slow response", function()
  local t = clock()
  local err = raised(lab.http.get, url("/delay/3000"), { timeout = 0.3 })
  assert_eq(err.reason, "timeout")
  assert_eq(err.message, "GET " .. url("/delay/3000") .. ": timed out after 0.3 s")
  assert(clock() - t < 1.5, "took " .. (clock() - t))
end)

test("a server that stalls mid-body times out, not hangs", function()
  local t = clock()
  local err = raised(lab.http.get, url("/stall"), { timeout = 0.5 })
  assert_eq(err.reason, "timeout")
  assert(clock() - t < 2, "took " .. (clock() - t))
end)

test("TLS: self-signed refused, trusted with ca_file", function()
  local err = raised(lab.http.get, server().tls .. "/json")
  assert_eq(err.reason, "tls")
  assert(err.message:find("certificate", 1, true), err.message)
  assert_eq(lab.http.get(server().tls .. "/json", { ca_file = server().ca }).status, 200)
end)

test("a body over max_bytes fails, with or without Content-Length", function()
  for _, path in ipairs { "/huge/100000", "/huge/100000?chunked=1" } do
    local err = raised(lab.http.get, url(path), { max_bytes = 1000 })
    assert_eq(err.reason, "too_large", path)
    assert(err.message:find("max_bytes", 1, true), err.message)
  end
  assert_eq(#lab.http.get(url("/huge/1000000")).body, 1000000)
end)

test("redirects are followed, at most 5", function()
  local r = lab.http.get(url("/redirect/5"))
  assert_eq(r.body, "redirected")
  assert_eq(r.url, url("/redirect/0"))
  local err = raised(lab.http.get, url("/redirect/6"))
  assert_eq(err.reason, "protocol")
  assert_eq(err.message, "GET " .. url("/redirect/6") .. ": too many redirects (max 5)")
  assert_eq(raised(lab.http.get, url("/loop")).reason, "protocol")
end)

test("retries: idempotent methods after 5xx and 429", function()
  local r = lab.http.get(url("/flaky/r1/2"), { retries = 2 })
  assert_eq(r.body, '{"attempts": 3}')
  local err = raised(lab.http.get, url("/flaky/r2/2"), { retries = 1 })
  assert_eq(err.status, 503, "one retry is not enough for two failures")
  assert_eq(lab.http.get(url("/flaky/r3/1?status=429"), { retries = 1 }).status, 200)
  assert_eq(raised(lab.http.get, url("/flaky/r4/1")).status, 503, "no retries unless asked")
  err = raised(lab.http.post, url("/flaky/r5/1"), { retries = 3 })
  assert_eq(err.status, 503, "POST is not retried")
  assert_eq(raised(lab.http.get, url("/flaky/r6/1?status=404"), { retries = 3 }).status, 404, "4xx is final")
end)

test("retries honour Retry-After", function()
  local t = clock()
  local r = lab.http.get(url("/flaky/ra/1?retry_after=1"), { retries = 1 })
  assert_eq(r.status, 200)
  assert(r.elapsed >= 0.95 and clock() - t >= 0.95, "waited " .. (clock() - t))
end)

test("retries after a refused connection back off, then fail", function()
  local t = clock()
  local err = raised(lab.http.get, "http://127.0.0.1:9/", { retries = 2 })
  assert_eq(err.reason, "connect")
  local waited = clock() - t
  assert(waited >= 0.3 and waited < 2, "backoff 0.1-0.2 s then 0.2-0.4 s, waited " .. waited)
end)

test("parallel: results in request order, a failure inside the batch", function()
  local requests = {}
  for i = 1, 8 do requests[i] = url("/delay/" .. (400 - i * 40)) end
  requests[4] = "http://127.0.0.1:9/refused"
  requests[6] = { url = url("/status/500"), method = "GET" }
  requests[7] = { url = url("/echo"), method = "POST", body = "seven" }
  local t = clock()
  local results = lab.http.parallel(requests, { max = 8 })
  local took = clock() - t
  assert_eq(#results, 8)
  for i, r in ipairs(results) do
    if i == 4 then
      assert_eq(getmetatable(r).__name, "lab.Error")
      assert_eq(r.reason, "connect")
    elseif i == 6 then
      assert_eq(r.status, 500)
      assert_eq(r.reason, "status")
    elseif i == 7 then
      assert_eq(echoed(r.body, "body"), "seven")
    else
      assert_eq(r.url, requests[i], "result " .. i)
    end
  end
  assert(took < 0.9, "ran at once: " .. took .. " s")
end)

test("parallel: max bounds how many run at once", function()
  local requests = {}
  for i = 1, 6 do requests[i] = url("/delay/200") end
  local t = clock()
  lab.http.parallel(requests, { max = 2 })
  local took = clock() - t
  assert(took >= 0.55 and took < 2, "3 rounds of 0.2 s: " .. took)
end)

test("argument errors", function()
  local err = raised(lab.http.get, url("/"), { tiemout = 1 })
  assert(tostring(err):find("bad argument #2 to 'lab.http.get' (unknown option 'tiemout'", 1, true), tostring(err))
  err = raised(lab.http.request, { method = "GET" })
  assert(tostring(err):find("url is missing", 1, true), tostring(err))
  err = raised(lab.http.get, url("/"), { headers = { ["X-Bad"] = "a\r\nInjected: 1" } })
  assert(tostring(err):find("line break", 1, true), tostring(err))
  err = raised(lab.http.parallel, { 42 })
  assert(tostring(err):find("requests[1] must be a URL", 1, true), tostring(err))
end)

-- A child labsh, its output (stderr too), exit status and wall time.
local function child(options, code)
  local t = clock()
  local p = assert(io.popen(("%s %s -e %q 2>&1; echo \"rc=$?\""):format(labsh, options, code)))
  local out = p:read("a")
  p:close()
  return out, tonumber(out:match("rc=(%d+)%s*$")), clock() - t
end

test("--timeout stops a request in flight", function()
  local out, rc, took = child("--timeout 1", ("lab.http.get(%q)"):format(url("/stall")))
  assert_eq(rc, 124, out)
  assert(out:find("timeout after 1 s", 1, true), out)
  assert(took < 1.3, "took " .. took)
end)

test("--timeout stops a batch, and pcall does not swallow the stop", function()
  local code = ("pcall(lab.http.parallel, {%q, %q}) print('swallowed')"):format(url("/stall"), url("/delay/5000"))
  local out, rc, took = child("--timeout 1", code)
  assert_eq(rc, 124, out)
  assert(not out:find("swallowed", 1, true), out)
  assert(took < 1.3, "took " .. took)
end)

test("Ctrl-C stops a request in flight within 100 ms", function()
  local script = ("%s -e %q & pid=$!; sleep 0.5; t=$(date +%%s%%N); kill -INT $pid; wait $pid; rc=$?; "
    .. "echo \"rc=$rc ms=$(( ($(date +%%s%%N) - t) / 1000000 ))\"")
    :format(labsh, ("lab.http.get(%q)"):format(url("/stall")))
  local p = assert(io.popen("sh -c '" .. script:gsub("'", "'\\''") .. "' 2>&1"))
  local out = p:read("a")
  p:close()
  local rc, ms = out:match("rc=(%d+) ms=(%d+)")
  assert_eq(tonumber(rc), 130, out)
  assert(out:find("interrupted", 1, true), out)
  assert(tonumber(ms) < 150, "stopped after " .. ms .. " ms")
end)

test("insecure = true skips TLS verification, and warns once per process", function()
  local code = ("for i = 1, 3 do assert(lab.http.get(%q, {insecure = true}).status == 200) end")
    :format(server().tls .. "/json")
  local out, rc = child("", code)
  assert_eq(rc, 0, out)
  local _, warnings = out:gsub("warning: TLS certificate verification disabled", "")
  assert_eq(warnings, 1, out)
end)

test("json: request bodies and :json() go through lab.json", function()
  local ok, json = pcall(require, "lab.json")
  assert(ok and type(json.encode) == "function" and type(json.decode) == "function", "lab.json is not there yet")
  local doc = lab.http.get(url("/json")):json()
  assert_eq(doc.name, "pve1")
  assert_eq(doc.cores[2], 6)
  assert_eq(doc.up, true)
  local r = lab.http.post(url("/echo"), { json = { a = 1 } })
  local echo = r:json()
  assert_eq(echo.headers["content-type"], "application/json")
  assert_eq(json.decode(echo.body).a, 1)
end)

test("(stop the fixture server)", function()
  if fixture then
    os.execute("kill " .. fixture.pid)
    fixture.pipe:close()
    fixture = nil
  end
end)
