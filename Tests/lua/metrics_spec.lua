-- lab.metrics (Prometheus text format 0.0.4) and lab.textfile. Runs under
-- labsh; promtool (Debian's prometheus package) checks the output.

local support = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/monitoring_support.lua")
local temp_dir = support.temp_dir

local function listing(dir)
  local p = assert(io.popen(("ls -A %q"):format(dir)))
  local text = p:read("a")
  p:close()
  return text
end

-- Runs promtool check metrics on `text`: its exit status and what it said.
local function promtool_check(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  local p = assert(io.popen(("promtool check metrics < %q 2>&1"):format(path)))
  local said = p:read("a")
  local _, _, status = p:close()
  os.remove(path)
  return status, said
end

local BACKUP = {
  { name = "backup_last_success_time", help = "When the last backup succeeded.", type = "gauge",
    value = 1795741200, labels = { repo = "nas", job = "restic" } },
  { name = "backup_last_success_time", value = 1.5, labels = { job = "restic", repo = "b2" } },
  { name = "backup_bytes_total", help = "Bytes backed up.", type = "counter", value = math.maxinteger },
}

test("samples of one name share one HELP and TYPE, labels sorted", function()
  assert_eq(lab.metrics.render(BACKUP), table.concat({
    "# HELP backup_last_success_time When the last backup succeeded.",
    "# TYPE backup_last_success_time gauge",
    'backup_last_success_time{job="restic",repo="nas"} 1795741200',
    'backup_last_success_time{job="restic",repo="b2"} 1.5',
    "# HELP backup_bytes_total Bytes backed up.",
    "# TYPE backup_bytes_total counter",
    "backup_bytes_total 9223372036854775807",
    "",
  }, "\n"))
end)

test("label values and HELP are escaped", function()
  local text = lab.metrics.render {
    { name = "m", help = 'a \\ b\nc "q"', value = 1, labels = { path = 'C:\\x "y"\nz' } },
  }
  assert_eq(text, '# HELP m a \\\\ b\\nc "q"\n# TYPE m untyped\nm{path="C:\\\\x \\"y\\"\\nz"} 1\n')
end)

test("NaN and infinities by name, floats exact in the fewest digits", function()
  local text = lab.metrics.render {
    { name = "v", value = 0 / 0, labels = { k = "nan" } },
    { name = "v", value = math.huge, labels = { k = "inf" } },
    { name = "v", value = -math.huge, labels = { k = "-inf" } },
    { name = "v", value = 0.1, labels = { k = "tenth" } },
    { name = "v", value = 1 / 3, labels = { k = "third" } },
    { name = "v", value = 1.7e9, labels = { k = "float" } },
    { name = "v", value = -(1 << 53) - 1, labels = { k = "int" } },
  }
  assert(text:find('v{k="nan"} NaN\n', 1, true), text)
  assert(text:find('v{k="inf"} +Inf\n', 1, true), text)
  assert(text:find('v{k="-inf"} -Inf\n', 1, true), text)
  assert(text:find('v{k="tenth"} 0.1\n', 1, true), text)
  assert_eq(tonumber(text:match('v{k="third"} (%S+)')), 1 / 3, "a third reads back the same")
  assert(text:find('v{k="float"} 1700000000\n', 1, true), text)
  assert(text:find('v{k="int"} -9007199254740993\n', 1, true), text)
end)

test("promtool accepts the rendered text", function()
  local metrics = {}
  for _, m in ipairs(BACKUP) do metrics[#metrics + 1] = m end
  metrics[#metrics + 1] = { name = "odd_values", help = "Escapes and specials.", type = "gauge",
    value = 0 / 0, labels = { text = 'back\\slash "quoted"\nnewline', ["_under"] = "" } }
  metrics[#metrics + 1] = { name = "odd_values", value = -math.huge, labels = { text = "x", _under = "y" } }
  local status, said = promtool_check(lab.metrics.render(metrics))
  assert_eq(said, "", "promtool's findings")
  assert_eq(status, 0, "promtool's exit status")
end)

test("bad metrics are refused with errors of kind metrics", function()
  local cases = {
    { { { name = "a-b", value = 1 } }, "bad metric name a%-b" },
    { { { name = "a", value = "1" } }, "is not a number" },
    { { { name = "a", value = 1, labels = { ["bad-name"] = "x" } } }, "bad label name" },
    { { { name = "a", value = 1, labels = { __reserved = "x" } } }, "bad label name" },
    { { { name = "a", value = 1, type = "histogram" } }, "not counter, gauge or untyped" },
    { { { name = "a", value = 1, type = "gauge" }, { name = "a", value = 2, type = "counter", labels = { x = "1" } } },
      "type counter here, gauge before" },
    { { { name = "a", value = 1, labels = { x = "1" } }, { name = "a", value = 2, labels = { x = "1" } } },
      'a{x="1"} appears twice' },
  }
  for _, case in ipairs(cases) do
    local ok, err = pcall(lab.metrics.render, case[1])
    assert(not ok, "refused: " .. case[2])
    assert_eq(err.kind, "metrics")
    assert(err.message:find(case[2]), err.message)
  end
end)

-- The temporary file (.backup.prom.RANDOM.tmp, made by labsh.files) never
-- ends in .prom, so the collector never reads half a file:
-- Tests/lua/trust_files_spec.lua checks how it is made.
test("textfile.write writes NAME.prom whole, never under a .prom temp name", function()
  local dir = temp_dir()
  local ok, path = pcall(lab.textfile.write, dir, "backup", BACKUP)
  assert(ok, path)
  assert_eq(path, dir .. "/backup.prom")
  assert_eq(read_file(path), lab.metrics.render(BACKUP))
  assert_eq(listing(dir), "backup.prom\n", "nothing else left in the directory")
  os.remove(path)
  os.remove(dir)
end)

test("textfile.write replaces the file and refuses names that leave the directory", function()
  local dir = temp_dir()
  lab.textfile.write(dir, "job.prom", { { name = "a", value = 1 } })
  lab.textfile.write(dir, "job", { { name = "a", value = 2 } })
  assert_eq(read_file(dir .. "/job.prom"), "# TYPE a untyped\na 2\n")
  for _, name in ipairs { "../x", "a/b", ".hidden", "" } do
    local ok, err = pcall(lab.textfile.write, dir, name, { { name = "a", value = 1 } })
    assert(not ok and err.kind == "textfile", "refused " .. name)
  end
  os.remove(dir .. "/job.prom")
  os.remove(dir)
end)

test("textfile.write under --dry-run writes nothing and returns nil", function()
  local dir = temp_dir()
  local result = "not called"
  local said = support.with_dry_run(function() result = lab.textfile.write(dir, "backup", BACKUP) end)
  assert_eq(result, nil)
  assert_eq(said, ("dry run: would write %d bytes of metrics to %s/backup.prom\n"):format(
    #lab.metrics.render(BACKUP), dir))
  assert_eq(listing(dir), "", "nothing written")
  os.remove(dir)
end)
