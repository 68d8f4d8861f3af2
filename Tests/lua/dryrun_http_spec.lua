-- --dry-run sends no HTTP write (issue 13, finding 5): POST, PUT, PATCH,
-- DELETE (any method but GET, HEAD, OPTIONS) reach the server only when the
-- call says read_only = true; a skipped one is said on stderr ("dry run:
-- would POST URL"), audited as a dry-run entry, and returns a result marked
-- dry_run = true with no status. Without --dry-run every write is sent.
--
-- What the server received is counted by the fixture's /flaky/KEY/0 route,
-- which answers {"attempts": n} with the requests KEY has had, any method.

local filesystem = require "labsh.filesystem"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-dryrun-http-spec")
local state_dir = tmp .. "/state"
local fixture

local function base()
  if fixture then return fixture.base end
  local pipe = assert(io.popen("exec python3 Tests/servers/http_fixture.py", "r"))
  local line = pipe:read("l") or ""
  local http, pid = line:match("^http=(%d+) https=%d+ ca=%S+ pid=(%d+)$")
  assert(http, "fixture did not start: " .. line)
  fixture = { base = "http://127.0.0.1:" .. http, pid = pid, pipe = pipe }
  return fixture.base
end

local serial = 0
-- A counter of its own for each use: the URL and how to read it.
local function counter()
  serial = serial + 1
  local url = ("%s/flaky/dry-%d-%d/0"):format(base(), lab.sys.pid(), serial)
  return url, function() return lab.http.get(url):json().attempts - 1 end  -- minus this GET
end

-- labsh with `args`: status, stdout, stderr.
local function labsh_run(args)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return lab.process.run { argv = argv, timeout = 60,
    env = { LABSH_STATE_DIR = state_dir, XDG_CONFIG_HOME = tmp .. "/no-config", LABSH_INVENTORY = false } }
end

local function audited(action)
  local found = {}
  for line in (read_file(state_dir .. "/audit.log") or ""):gmatch("[^\n]+") do
    local entry = lab.json.decode(line)
    if entry.action == action then found[#found + 1] = entry end
  end
  return found
end

test("--dry-run: POST, PUT, PATCH and DELETE are not sent; each says what it would do", function()
  local url, received = counter()
  local r = labsh_run { "--dry-run", "-e", ([[
    local url = %q
    local results = {
      lab.http.post(url, { json = { a = 1 } }),
      lab.http.put(url, { body = "x" }),
      lab.http.request { method = "PATCH", url = url, body = "p" },
      lab.http.delete(url),
    }
    for _, x in ipairs(results) do print(x.dry_run, x.status, x.method) end
  ]]):format(url) }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(received(), 0, "writes the server received")
  assert_eq(r.stdout, "true\tnil\tPOST\ntrue\tnil\tPUT\ntrue\tnil\tPATCH\ntrue\tnil\tDELETE\n")
  for _, method in ipairs { "POST", "PUT", "PATCH", "DELETE" } do
    assert(r.stderr:find("dry run: would " .. method .. " " .. url, 1, true), r.stderr)
  end
  local entries = audited("http.post")
  assert(#entries >= 1 and entries[#entries].dry_run == true and entries[#entries].target == url,
    "no dry-run audit entry for the POST")
end)

test("--dry-run: a write that says read_only = true is sent (a query sent as POST)", function()
  local url, received = counter()
  local r = labsh_run { "--dry-run", "-e", ([[
    local x = lab.http.post(%q, { body = "query=up", read_only = true })
    print(x.status, x.dry_run)
  ]]):format(url) }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "200\tnil\n")
  assert_eq(received(), 1)
  assert(not r.stderr:find("dry run", 1, true), r.stderr)
end)

test("--dry-run: reads (GET, HEAD) are sent as always", function()
  local url, received = counter()
  local r = labsh_run { "--dry-run", "-e", ([[
    print(lab.http.get(%q).status, lab.http.request{ method = "HEAD", url = %q }.status)
  ]]):format(url, url) }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "200\t200\n")
  assert_eq(received(), 2)
end)

test("--dry-run: lab.http.parallel skips the writes in their places and sends the rest", function()
  local url, received = counter()
  local r = labsh_run { "--dry-run", "-e", ([[
    local url = %q
    local rs = lab.http.parallel {
      url,
      { method = "POST", url = url, body = "a" },
      { method = "POST", url = url, body = "b", read_only = true },
      { method = "DELETE", url = url },
    }
    for _, x in ipairs(rs) do print(x.status, x.dry_run) end
  ]]):format(url) }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "200\tnil\nnil\ttrue\n200\tnil\nnil\ttrue\n")
  assert_eq(received(), 2)
  assert(r.stderr:find("dry run: would POST " .. url, 1, true), r.stderr)
  assert(r.stderr:find("dry run: would DELETE " .. url, 1, true), r.stderr)
end)

test("--dry-run after -m NAME stops HTTP writes too (a script run by name)", function()
  local url, received = counter()
  local dir = tmp .. "/scripts"
  filesystem.make_directories(dir)
  write_file(dir .. "/poster.lua", ([[print(lab.http.post(%q, { body = "x" }).dry_run)]]):format(url))
  local r = lab.process.run { argv = { labsh, "-m", "poster", "--dry-run" }, timeout = 60,
    env = { LABSH_PATH = dir, LABSH_STATE_DIR = state_dir, XDG_CONFIG_HOME = tmp .. "/no-config" } }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "true\n")
  assert_eq(received(), 0)
end)

test("without --dry-run every write is sent", function()
  local url, received = counter()
  local r = labsh_run { "-e", ([[
    local url = %q
    print(lab.http.post(url, { body = "x" }).status, lab.http.delete(url).status)
  ]]):format(url) }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "200\t200\n")
  assert_eq(received(), 2)
end)

test("read_only must be a boolean", function()
  local r = labsh_run { "-e", ([[lab.http.post(%q, { read_only = "yes" })]]):format(base() .. "/echo") }
  assert(r.status ~= 0)
  assert(r.stderr:find("read_only must be a boolean", 1, true), r.stderr)
end)

test("--dry-run: Alertmanager silences and Pushgateway pushes are said once, not twice", function()
  -- They ask the gate before lab.http: the gate's line is the only one.
  local url = base()
  local r = labsh_run { "--dry-run", "-e", ([[
    local push = lab.push.connect { url = %q }
    push:push("job", { { name = "m", value = 1 } })
    local am = lab.alertmanager.connect { url = %q }
    am:silence { matchers = { "alertname=X" }, duration = "1h", comment = "spec" }
  ]]):format(url, url) }
  assert_eq(r.status, 0, r.stderr)
  local lines = 0
  for _ in r.stderr:gmatch("dry run: [^\n]*") do lines = lines + 1 end
  assert_eq(lines, 2, r.stderr)
  assert(not r.stderr:find("would POST http", 1, true), r.stderr)
  assert(not r.stderr:find("would PUT http", 1, true), r.stderr)
end)

test("(stop the fixture server)", function()
  if fixture then
    os.execute("kill " .. fixture.pid)
    fixture.pipe:close()
    fixture = nil
  end
  filesystem.remove_tree(tmp)
end)
