-- lab.capacity and labsh -m capacity: the §5.4 plan on the built-in homelab,
-- the least-squares forecast against the real Prometheus's predict_linear,
-- and the HTML report rendered by headless Chromium.

local support = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/monitoring_support.lua")
local GiB = 1 << 30

local function resource(plan, name)
  for _, r in ipairs(plan.resources) do if r.name == name then return r end end
end

local run = run_labsh

test("the plan from the built-in homelab: installed, allocated, band, growth", function()
  local plan = lab.capacity.report { now = os.time { year = 2026, month = 1, day = 15, hour = 12 } }
  assert_same(plan.band, { 0.7, 0.85 })
  local ram = resource(plan, "ram")
  assert_eq(ram.installed, 164.0 * GiB, "5 Proxmox nodes + the Z440")
  assert_eq(ram.allocated, 134.0 * GiB, "the eleven guests")
  assert_eq(ram.used, nil)
  assert_eq(ram.percent, 81.7)
  assert_eq(ram.position, "within")
  -- +30% a year, compounded: 81.7% reaches 85% in ~1.8 months, 95% in ~6.9 (whole months counted)
  assert_eq(ram.crosses_85, "2026-02")
  assert_eq(ram.crosses_95, "2026-07")
  local threads = resource(plan, "cpu_threads")
  assert_eq(threads.installed, 76.0)
  assert_eq(threads.allocated, 50.0)
  assert_eq(resource(plan, "cpu_cores").position, "above", "50 vCPUs on 44 cores")
  assert_eq(resource(plan, "storage_hot").installed, 1024e9, "the NVMe disks: pve3 and the Z440")
  assert_eq(resource(plan, "network").percent, 60.0, "no live figure: the plan's baseline")
  assert_eq(plan.first, "cpu_cores")
  assert_eq(plan.buy, "Add 1-2 additional Proxmox nodes")
  assert(plan.note:find("no Prometheus"), plan.note)
end)

test("live figures replace allocation", function()
  local plan = lab.capacity.report { used = { ram = 150 * GiB } }
  local ram = resource(plan, "ram")
  assert_eq(ram.basis, "live")
  assert_eq(ram.free, 14.0 * GiB)
  assert_eq(ram.position, "above")
  assert_eq(plan.source, "given")
end)

test("with a Prometheus configured, used figures are asked of it", function()
  local url = support.server("PROMETHEUS")
  local text = require("labsh.host").embedded("stdlib/labsh/homelab.lua")
    :gsub("}%s*$", ("  monitoring = { prometheus = %q },\n}\n"):format(url))
  with_inventory(text, function()
    local plan = lab.capacity.report()
    assert_eq(plan.source, "prometheus")
    -- the test node_exporter runs only its textfile collector: no CPU or
    -- network figures, and the report says so (memory only if another
    -- spec left a textfile with node_memory_* metrics: then it is live)
    assert(plan.note:find("no node_exporter figures for cpu_threads, network"), plan.note)
    local ram = resource(plan, "ram")
    local asked = lab.prom.query("sum(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)")
    if #asked == 0 then
      assert_eq(ram.basis, "allocated")
    else
      assert_eq(ram.basis, "live")
      assert_eq(ram.used, asked[1].value)
    end
  end)
end)

test("fit: the regression predict_linear computes, intercept at the time asked", function()
  local slope, intercept = lab.capacity.fit({ { 100, 5 }, { 110, 25 }, { 120, 45 } }, 130)
  assert_eq(slope, 2.0)
  assert_eq(intercept, 65.0)
  assert_eq(lab.capacity.fit({ { 1, 1 } }, 1), nil)
end)

test("forecast agrees with predict_linear in the real Prometheus", function()
  local dir = support.server("TEXTFILE_DIR")
  local name = support.unique("labsh_capacity_trend")
  local prom = lab.prom.connect(support.server("PROMETHEUS"))
  -- a known trend: +3 every step, written as node_exporter's textfile
  for k = 0, 6 do
    require("labsh.files").write_atomically(dir .. "/" .. name .. ".prom",
      ("# TYPE %s gauge\n%s %d\n"):format(name, name, 100 + 3 * k))
    os.execute("sleep 0.7")
  end
  support.eventually("the last value scraped", function()
    local v = prom:query(name)
    return v[1] and v[1].value == 118
  end)
  os.remove(dir .. "/" .. name .. ".prom")
  local at = math.floor(lab.sys.now())
  local mine = lab.capacity.forecast(name, { window = "8s", ahead = 600, at = at, prom = prom, threshold = 200 })
  assert_eq(#mine, 1)
  assert(mine[1].samples >= 4, "several samples in the window: " .. mine[1].samples)
  local theirs = prom:query(("predict_linear(%s[8s], 600)"):format(name), at)
  assert_eq(#theirs, 1)
  local a, b = mine[1].predicted, theirs[1].value
  assert(math.abs(a - b) <= 1e-9 * math.max(1, math.abs(b)), ("labsh %.12g, predict_linear %.12g"):format(a, b))
  -- and the trend is the one written: about +3 per 0.7 s
  assert(mine[1].slope > 2 and mine[1].slope < 7, "slope " .. mine[1].slope)
  assert(mine[1].reaches and mine[1].reaches > at, "reaches 200 later")
end)

test("labsh -m capacity: terminal and JSON", function()
  local text, rc = run("-m capacity")
  assert_eq(rc, 0)
  -- "*": computed from the guests' sizes, which the built-in homelab marks assumed
  assert(text:find("ram%s+[█░│]+%s+81.7%%%*%s+within"), text)
  assert(text:find("sw1%s+3062%*%s+1/5 LOST"), text)
  assert(text:find("▁") or text:find("▅"), "sparklines")
  local json, rc2 = run("-m capacity --format json")
  assert_eq(rc2, 0)
  local data = lab.json.decode(json)
  assert_eq(data.n_minus_1[1].node, "sw1")
  assert_eq(#data.resources[1].projection, 25, "24 months and now")
  assert_eq(data.buy, "Add 1-2 additional Proxmox nodes")
end)

-- Decodes an 8-bit RGB(A) PNG with python3's zlib and counts the pixels
-- near each colour (within 24 per channel). Returns { [hex] = count }.
local function count_colours(png, colours)
  local script = [==[
import sys, zlib, struct
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, = struct.unpack(">I", data[pos:pos+4]); kind = data[pos+4:pos+8]; body = data[pos+8:pos+8+n]
    if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    if kind == b"IDAT": idat += body
    pos += 12 + n
bpp = 4 if ctype == 6 else 3
raw = zlib.decompress(idat); stride = w * bpp; prev = bytearray(stride); out = []
i = 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i+1:i+1+stride]); i += 1 + stride
    for x in range(stride):
        a = line[x-bpp] if x >= bpp else 0; b = prev[x]; c = prev[x-bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p-a), abs(p-b), abs(p-c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    out.append(line); prev = line
targets = [tuple(int(h[k:k+2], 16) for k in (0, 2, 4)) for h in sys.argv[2:]]
counts = [0] * len(targets)
for line in out:
    for x in range(0, stride, bpp):
        px = line[x:x+3]
        for t, col in enumerate(targets):
            if abs(px[0]-col[0]) < 24 and abs(px[1]-col[1]) < 24 and abs(px[2]-col[2]) < 24: counts[t] += 1
print(w, h, *counts)
]==]
  local py = write_temp(script)
  local p = assert(io.popen(("python3 %s %s %s"):format(py, png, table.concat(colours, " "))))
  local line = p:read("a")
  p:close()
  os.remove(py)
  local fields = {}
  for v in line:gmatch("%d+") do fields[#fields + 1] = tonumber(v) end
  local counts = {}
  for i, c in ipairs(colours) do counts[c] = fields[i + 2] end
  return counts, fields[1], fields[2]
end

test("labsh -m capacity --format html: one page that Chromium renders with its charts", function()
  local host = require "labsh.host"
  local filesystem = require "labsh.filesystem"
  local dir = filesystem.temp_directory("labsh-capacity-spec")
  local page = dir .. "/capacity.html"
  local _, rc = run(("-m capacity --format html --out %s"):format(page))
  assert_eq(rc, 0)
  local html = read_file(page)
  assert(not html:find("https?://"), "no network fetches: no URL in the page")
  assert(not html:find("<script") and not html:find("<link"), "nothing external")
  -- the DOM Chromium built holds the charts
  local p = assert(io.popen(("chromium --headless --no-sandbox --disable-gpu --dump-dom file://%s 2>/dev/null"):format(page)))
  local dom = p:read("a")
  p:close()
  local _, bars = dom:gsub('<rect class="bar"', "")
  local _, series = dom:gsub('<polyline class="series"', "")
  local _, rows = dom:gsub("<tr><td>", "")
  assert_eq(bars, 6, "one bar per resource")
  assert_eq(series, 6, "one forecast line per resource")
  assert(rows >= 9 + 5, "n-1 and SPOF rows: " .. rows)
  -- and painted them: the screenshot has the bars' and lines' colours
  local png = dir .. "/shot.png"
  os.execute(("chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot=%s --window-size=1000,1400 file://%s >/dev/null 2>&1")
    :format(png, page))
  local counts, w, h = count_colours(png, { "dc2626", "16a34a", "2563eb", "bbf7d0" })
  assert_eq(w, 1000)
  assert_eq(h, 1400)
  assert(counts.dc2626 > 1500, "red: the over-band bar, impact bars: " .. counts.dc2626)
  assert(counts["16a34a"] > 1500, "green: the in-band bar: " .. counts["16a34a"])
  assert(counts["2563eb"] > 1500, "blue: below-band bars: " .. counts["2563eb"])
  assert(counts.bbf7d0 > 3000, "the target band: " .. counts.bbf7d0)
  os.execute(("cp %s /tmp/labsh-capacity-shot.png 2>/dev/null"):format(png))
end)
