-- capacity: the §5.4 capacity report and the failure simulation, for people.
--
--   labsh -m capacity                          terminal: bars, sparklines, n-1, SPOFs,
--                                              within the terminal's width
--   labsh -m capacity --format json            the same data for machines
--   labsh -m capacity --format html --out FILE one self-contained page (inline
--                                              SVG and CSS, nothing fetched),
--                                              written atomically
--   --months N                                 forecast horizon (default 24)
--   --source live                              guests, allocations and HA state from
--                                              the Proxmox VE cluster (needs proxmox)
--
-- Used figures come live from Prometheus when the inventory names one.

local sizes = require "labsh.sizes"
local assumptions = require "labsh.assumptions"

return labsh.script {
  name = "capacity",
  description = "the capacity report (§5.4) and the failure simulation: bars, forecast, n-1, SPOFs",
  formats = { "text", "json", "html" },
  params = {
    { "--out", "FILE", "--format html: the page to write (atomically)" },
    { "--months", "N", "forecast horizon in months", type = "count", default = 24 },
    { "--source", "WHERE", "guests from the inventory (default) or live from the Proxmox VE cluster",
      choices = { "inventory", "live" } },
  },
  exit = "0 done, 1 the page could not be written, 2 usage",
  requires = {
    net = { "proxmox", "monitoring:prometheus" },  -- --source live; the measured figures
    secrets = { "proxmox", "monitoring:prometheus" },
    proxmox = { "Sys.Audit" },
    files = { write = { "option:--out" } },         -- the HTML page
    mutation = true,                                -- writing it
  },
  run = function(ctx, opts)
    local format, out, months = lab.options.format or "text", opts.out, opts.months
    if format == "html" and not out then ctx:usage_error("--format html needs --out FILE") end
    if format ~= "html" and out then ctx:usage_error("--out is for --format html") end

    local report = lab.capacity.report { source = opts.source }
    local n1 = lab.sim.n_minus_1 { source = opts.source }
    local spof = lab.sim.spof()

    -- Projected utilisation per month 0..months, compounding the yearly growth.
    local function projection(r)
      if not r.utilisation then return nil end
      local points = {}
      for m = 0, months do points[#points + 1] = r.utilisation * (1 + (r.growth or 0)) ^ (m / 12) end
      return points
    end

    local function plain(v)  -- numbers that are whole print as integers
      if math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 2 ^ 53 then return math.tointeger(v) end
      return v
    end

    local data = { band = report.band, first = report.first, buy = report.buy, buy_phase = report.buy_phase,
                   buy_when = report.buy_when, note = report.note, source = report.source, months = months,
                   sources = report.sources,
                   resources = {}, n_minus_1 = {}, spof = {} }
    for i, r in ipairs(report.resources) do
      data.resources[i] = {
        name = r.name, unit = r.unit, installed = plain(r.installed), allocated = plain(r.allocated),
        used = plain(r.used), free = plain(r.free), percent = r.percent, position = r.position, basis = r.basis,
        growth = r.growth, crosses_85 = r.crosses_85, crosses_95 = r.crosses_95, projection = projection(r),
      }
      assumptions.label(data.resources[i], r.assumed_from or {})
    end
    for i, r in ipairs(n1) do
      data.n_minus_1[i] = { node = r.node, impact = r.impact, proxmox = r.proxmox, etcd = r.etcd, moved = r.moved,
                            stranded = r.stranded, slo_lost = r.services, gpu = r.gpu, why = r.report.reasons }
      assumptions.label(data.n_minus_1[i], r.report.assumed_from)
    end
    for i, p in ipairs(spof) do
      data.spof[i] = { element = p.element, kind = p.kind, affected = p.nodes, consequences = p.consequences,
                       mitigation = p.mitigation }
    end

    -- ---- formatting helpers ------------------------------------------------------

    -- Which n-1 columns the lab has: etcd with Kubernetes, GPU with a node
    -- that has GPUs (lab.sim.n_minus_1 leaves them nil otherwise).
    local function n1_sections()
      local has = { proxmox = false, etcd = false, gpu = false }
      for _, r in ipairs(data.n_minus_1) do
        if r.proxmox ~= "-" then has.proxmox = true end
        if r.etcd then has.etcd = true end
        if r.gpu then has.gpu = true end
      end
      return has
    end

    local function human(value, unit)
      if value == nil then return "-" end
      if unit == "bytes" then
        return sizes.size_text(value)
      elseif unit == "bit/s" then
        local units = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" }
        local i = 1
        while math.abs(value) >= 1000 and i < #units do value = value / 1000; i = i + 1 end
        return ("%.1f %s"):format(value, units[i])
      end
      return ("%g %s"):format(math.floor(value * 10 + 0.5) / 10, unit)
    end

    local function percent_text(p) return p and ("%.1f%%"):format(p) or "-" end

    -- ---- JSON ----------------------------------------------------------------------

    if format == "json" then
      print(lab.json.encode(data))
      return
    end

    -- ---- terminal ------------------------------------------------------------------

    if format == "text" then
      local pretty = require "labsh.pretty"
      local width = pretty.terminal_width()
      local color = os.getenv("NO_COLOR") == nil and lab.sys.isatty(1)
      local function paint(code, text) return color and ("\27[%sm%s\27[0m"):format(code, text) or text end
      local function columns_of(text) return utf8.len(text) or #text end
      local function pad(text, w) return text .. (" "):rep(w - columns_of(text)) end
      local function pad_left(text, w) return (" "):rep(w - columns_of(text)) .. text end
      -- prose wraps at word boundaries within the terminal's width
      local function say(text, first, hang) print(pretty.wrap(text, width, first, hang)) end
      -- text beside a label when there is room for it, else under the label
      local function beside(label, text)
        if width - columns_of(label) >= 24 then say(text, label) return end
        print((label:gsub("%s+$", "")))
        say(text, "      ")
      end

      -- Labelled figures ("used 134 GiB") on lines of the width, each whole.
      local function flow(items)
        local lines, current = {}, nil
        for _, item in ipairs(items) do
          if current and columns_of(current) + 2 + columns_of(item) <= width then
            current = current .. "  " .. item
          else
            if current then lines[#lines + 1] = current end
            current = "      " .. item
          end
        end
        lines[#lines + 1] = current
        print(table.concat(lines, "\n"))
      end

      local lo, hi = report.band[1], report.band[2]
      local function bar(u, cells)
        if cells == 0 then return "" end
        if not u then return ("·"):rep(cells) end
        local parts = {}
        for i = 1, cells do
          local at = i / cells
          local c
          if at <= math.min(u, 1) then c = "█" else c = "░" end
          if math.abs(at - hi) < 0.5 / cells or math.abs(at - lo) < 0.5 / cells then c = c == "█" and "█" or "│" end
          parts[i] = c
        end
        return paint(u > hi and "31" or u >= lo and "32" or "36", table.concat(parts))
      end
      -- The projection in `count` ticks, sampled evenly from now to the last month.
      local ticks = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" }
      local function spark(points, count)
        if not points then return "" end
        local top = math.max(1, points[#points])
        local s = {}
        count = math.max(1, math.min(count, #points))
        for k = 1, count do
          local i = count == 1 and #points or 1 + math.floor((k - 1) * (#points - 1) / (count - 1) + 0.5)
          s[k] = ticks[math.max(1, math.min(8, math.floor(points[i] / top * 8 + 0.5)))]
        end
        return table.concat(s)
      end

      -- Resources: one row each as wide as the terminal allows. The figures
      -- stay whole; the bar narrows (30 to 10 cells), then the sparkline
      -- shortens or goes under its row, and in a narrow terminal each resource
      -- takes three lines: bar, figures, forecast.
      local function resources()
        local horizon = ("next %d months"):format(months)
        local head = { name = "resource", percent = "", band = "band", installed = "installed",
                       allocated = "allocated", used = "used", c85 = ">85%", c95 = ">95%" }
        local rows, w = {}, {}
        for key, text in pairs(head) do w[key] = columns_of(text) end
        for i, r in ipairs(data.resources) do
          rows[i] = { name = r.name, percent = assumptions.marked(percent_text(r.percent), r), band = r.position or "-",
                      installed = human(r.installed, r.unit), allocated = human(r.allocated, r.unit),
                      used = human(r.used, r.unit), c85 = r.crosses_85 or "-", c95 = r.crosses_95 or "-",
                      u = r.percent and r.percent / 100, projection = r.projection }
          for key in pairs(head) do w[key] = math.max(w[key], columns_of(rows[i][key])) end
        end
        local full_spark = math.min(months + 1, 25)
        local fixed = 2 + w.name + 2 + 1 + w.percent + 2 + w.band + 2 + w.installed + 2 + w.allocated + 2 + w.used
          + 2 + w.c85 + 2 + w.c95
        local room = width - fixed
        local cells, ticks_beside
        if room >= 10 + 2 + math.max(full_spark, #horizon) then
          cells, ticks_beside = math.min(30, room - 2 - math.max(full_spark, #horizon)), full_spark
        elseif room >= 10 + 2 + #horizon then
          cells, ticks_beside = 10, math.min(full_spark, room - 12)
        elseif room >= 10 then
          cells = math.min(30, room)
        end
        if cells then
          -- the heading "utilisation" spans the bar and the percentage
          local function line(row, bar_text, forecast)
            local utilisation = row == head and pad("utilisation", cells + 1 + w.percent)
              or (bar_text .. " " .. pad_left(row.percent, w.percent))
            return "  " .. pad(row.name, w.name) .. "  " .. utilisation .. "  "
              .. pad(row.band, w.band) .. "  " .. pad_left(row.installed, w.installed) .. "  "
              .. pad_left(row.allocated, w.allocated) .. "  " .. pad_left(row.used, w.used) .. "  "
              .. pad(row.c85, w.c85) .. "  " .. pad(row.c95, w.c95) .. (forecast and ("  " .. forecast) or "")
          end
          print((line(head, nil, ticks_beside and horizon):gsub("%s+$", "")))
          for _, row in ipairs(rows) do
            print((line(row, bar(row.u, cells), ticks_beside and spark(row.projection, ticks_beside)):gsub("%s+$", "")))
            if not ticks_beside and row.projection then
              print("      " .. horizon .. " " .. spark(row.projection, width - 7 - #horizon))
            end
          end
          return
        end
        -- narrow: the figures as labelled items, flowed onto lines of the width
        local before_bar = 2 + w.name + 2
        cells = math.max(0, math.min(30, width - before_bar - 1 - w.percent - 2 - w.band))
        local spark_ticks = width - 7 - #horizon  -- the sparkline only where a trend shows
        for _, row in ipairs(rows) do
          if before_bar + w.percent + 2 + w.band <= width then
            print(("  %s  %s%s  %s"):format(pad(row.name, w.name), bar(row.u, cells) .. (cells > 0 and " " or ""),
              pad_left(row.percent, w.percent), row.band))
          else
            print("  " .. row.name)
            flow { row.percent, row.band }
          end
          flow { "installed " .. row.installed, "allocated " .. row.allocated, "used " .. row.used }
          local forecast = { ">85% " .. row.c85, ">95% " .. row.c95 }
          if row.projection and spark_ticks >= 6 then
            forecast[#forecast + 1] = horizon .. " " .. spark(row.projection, spark_ticks)
          end
          flow(forecast)
        end
      end

      say(("Capacity (target band %d-%d%%; used: %s)"):format(lo * 100, hi * 100,
        report.source == "prometheus" and "live from Prometheus" or report.source))
      if report.note then say(report.note, "  note: ") end
      if report.sources.allocated ~= "inventory" then
        say(("installed %s; allocated %s"):format(report.sources.installed, report.sources.allocated), "  sources: ")
      end
      print()
      resources()
      print()
      if report.first then
        say(("first to cross 85%%: %s; buy first: %s (phase %s, %s)"):format(report.first, report.buy or "-",
          tostring(report.buy_phase or "-"), report.buy_when or "-"), "  ")
      end
      print()
      say("Single-node failures (n-1), worst first")
      -- Proxmox, etcd and GPU columns only for a lab that has a Proxmox VE
      -- cluster, Kubernetes or GPUs; the reason goes under its row when the
      -- terminal is too narrow for it beside the figures
      local has = n1_sections()
      local names = { "node", "impact" }
      if has.proxmox then names[#names + 1] = "proxmox" end
      if has.etcd then names[#names + 1] = "etcd" end
      for _, name in ipairs { "moved", "stranded", "SLO lost" } do names[#names + 1] = name end
      if has.gpu then names[#names + 1] = "gpu" end
      names[#names + 1] = "why"
      local n1_rows = {}
      for i, r in ipairs(data.n_minus_1) do
        n1_rows[i] = { node = r.node, impact = assumptions.marked(tostring(r.impact), r), proxmox = r.proxmox,
                       etcd = r.etcd, moved = r.moved, stranded = r.stranded, ["SLO lost"] = r.slo_lost, gpu = r.gpu,
                       why = r.why[1] or "-" }
      end
      -- the figures as a table when they fit side by side, else each node's
      -- figures labelled under its name
      local figures_width = -2
      for c = 1, #names - 1 do
        local w = columns_of(names[c])
        for _, row in ipairs(n1_rows) do w = math.max(w, columns_of(tostring(row[names[c]]))) end
        figures_width = figures_width + w + 2
      end
      if figures_width <= width - 2 then
        local n1_table = pretty.table(n1_rows, names, { width = width - 2, detach = "why" })
        print((n1_table:gsub("[^\n]+", "  %0")))
      else
        for _, row in ipairs(n1_rows) do
          print("  " .. row.node)
          local items = {}
          for c = 2, #names - 1 do items[#items + 1] = names[c] .. " " .. tostring(row[names[c]]) end
          flow(items)
          say(row.why, "      why: ", "      ")
        end
      end
      local any_assumed = false
      for _, list in ipairs { data.resources, data.n_minus_1 } do
        for _, r in ipairs(list) do any_assumed = any_assumed or r.assumed == true end
      end
      if any_assumed then print() say(assumptions.FOOTNOTE, "  ") end
      print()
      say("Single points of failure (from uplinks and power feeds)")
      for _, p in ipairs(data.spof) do
        beside(("  %-11s %-8s "):format(p.element, p.kind), p.consequences[1] or "")
        beside(("  %-11s %-8s "):format("", ""), "mitigation: " .. p.mitigation)
      end
      return
    end

    -- ---- HTML ----------------------------------------------------------------------


    local function esc(s)
      return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }))
    end
    local function n(x) return ("%.1f"):format(x) end

    local palette = { "#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d" }
    local lo, hi = report.band[1], report.band[2]

    -- utilisation: horizontal bars, band shaded, 100% line
    local function utilisation_svg()
      local rows = data.resources
      local W, left, rowh = 760, 120, 30
      local H = 40 + #rows * rowh
      local scale = 1.25  -- the axis runs to 125%
      local plot = W - left - 70
      local function x(u) return left + math.min(u, scale) / scale * plot end
      local s = { ('<svg id="utilisation" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="utilisation per resource">'):format(W, H, W, H) }
      s[#s + 1] = ('<rect class="band" x="%s" y="20" width="%s" height="%d" fill="#bbf7d0"/>'):format(n(x(lo)), n(x(hi) - x(lo)), #rows * rowh)
      for _, t in ipairs { 0, 0.25, 0.5, 0.75, 1, 1.25 } do
        s[#s + 1] = ('<line x1="%s" x2="%s" y1="20" y2="%d" stroke="%s"/><text x="%s" y="14" font-size="11" text-anchor="middle" fill="#475569">%d%%</text>')
          :format(n(x(t)), n(x(t)), 20 + #rows * rowh, t == 1 and "#0f172a" or "#e2e8f0", n(x(t)), math.floor(t * 100 + 0.5))
      end
      for i, r in ipairs(rows) do
        local y = 20 + (i - 1) * rowh
        local u = (r.percent or 0) / 100
        local fill = u > hi and "#dc2626" or u >= lo and "#16a34a" or "#2563eb"
        s[#s + 1] = ('<text x="%d" y="%d" font-size="12" text-anchor="end" fill="#0f172a">%s</text>'):format(left - 8, y + 19, esc(r.name))
        s[#s + 1] = ('<rect class="bar" x="%d" y="%d" width="%s" height="%d" rx="3" fill="%s"><title>%s: %s (%s)</title></rect>')
          :format(left, y + 6, n(math.max(1, x(u) - left)), rowh - 12, fill, esc(r.name), percent_text(r.percent), esc(r.basis))
        s[#s + 1] = ('<text x="%s" y="%d" font-size="11" fill="#0f172a">%s</text>'):format(n(x(u) + 6), y + 19, percent_text(r.percent))
      end
      s[#s + 1] = "</svg>"
      return table.concat(s, "\n")
    end

    -- forecast: one line per resource over the months, 85% and 95% lines
    local function forecast_svg()
      local W, H, left, top, bottom, right = 760, 320, 50, 20, 40, 150
      local pw, ph = W - left - right, H - top - bottom
      local ymax = 1.0
      for _, r in ipairs(data.resources) do
        for _, p in ipairs(r.projection or {}) do ymax = math.max(ymax, p) end
      end
      ymax = math.min(math.ceil(ymax * 4) / 4, 3)
      local function X(m) return left + m / months * pw end
      local function Y(u) return top + ph - math.min(u, ymax) / ymax * ph end
      local s = { ('<svg id="forecast" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="forecast">'):format(W, H, W, H) }
      s[#s + 1] = ('<rect x="%d" y="%d" width="%d" height="%d" fill="#f8fafc" stroke="#cbd5e1"/>'):format(left, top, pw, ph)
      for _, t in ipairs { 0.85, 0.95 } do
        s[#s + 1] = ('<line class="threshold" x1="%d" x2="%d" y1="%s" y2="%s" stroke="%s" stroke-dasharray="6 4"/><text x="%d" y="%s" font-size="11" fill="%s">%d%%</text>')
          :format(left, left + pw, n(Y(t)), n(Y(t)), t == 0.85 and "#d97706" or "#dc2626", left + pw + 4, n(Y(t) + 4),
                  t == 0.85 and "#d97706" or "#dc2626", math.floor(t * 100 + 0.5))
      end
      for m = 0, months, math.max(1, months // 6) do
        s[#s + 1] = ('<text x="%s" y="%d" font-size="11" text-anchor="middle" fill="#475569">+%dm</text>'):format(n(X(m)), H - bottom + 16, m)
      end
      for k = 0, math.floor(ymax * 4 + 0.5) do
        local u = k / 4
        s[#s + 1] = ('<text x="%d" y="%s" font-size="11" text-anchor="end" fill="#475569">%d%%</text>'):format(left - 4, n(Y(u) + 4), math.floor(u * 100 + 0.5))
      end
      local legend = 0
      for i, r in ipairs(data.resources) do
        if r.projection then
          local pts = {}
          for m, p in ipairs(r.projection) do pts[#pts + 1] = n(X(m - 1)) .. "," .. n(Y(p)) end
          local color = palette[(i - 1) % #palette + 1]
          s[#s + 1] = ('<polyline class="series" fill="none" stroke="%s" stroke-width="2.5" points="%s"><title>%s</title></polyline>')
            :format(color, table.concat(pts, " "), esc(r.name))
          s[#s + 1] = ('<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" font-size="12" fill="#0f172a">%s</text>')
            :format(W - right + 40, top + 6 + legend * 18, color, W - right + 58, top + 16 + legend * 18, esc(r.name))
          legend = legend + 1
        end
      end
      s[#s + 1] = "</svg>"
      return table.concat(s, "\n")
    end

    -- The assumption mark on the page: the values a figure rests on in its title.
    local function assumed_mark(r)
      if not r.assumed then return "" end
      return ('<sup class="assumed" title="assumed: %s">%s</sup>'):format(esc(table.concat(r.assumed_from, ", ")),
        assumptions.MARK)
    end

    -- The footnote under the tables, when a figure on the page is assumed.
    local function assumed_note()
      for _, list in ipairs { data.resources, data.n_minus_1 } do
        for _, r in ipairs(list) do
          if r.assumed then return ('<p class="meta" id="assumed">%s</p>'):format(esc(assumptions.FOOTNOTE)) end
        end
      end
      return ""
    end

    local function n1_table()
      local worst = math.max(1, data.n_minus_1[1] and data.n_minus_1[1].impact or 1)
      local has = n1_sections()
      local s = { '<table id="n-minus-1"><thead><tr><th>node</th><th>impact</th><th>Proxmox</th>'
        .. (has.etcd and '<th>etcd</th>' or '') .. '<th>moved</th><th>stranded</th><th>SLO lost</th>'
        .. (has.gpu and '<th>GPU</th>' or '') .. '<th>why</th></tr></thead><tbody>' }
      for _, r in ipairs(data.n_minus_1) do
        local w = math.floor(r.impact / worst * 120 + 0.5)
        s[#s + 1] = ('<tr><td>%s%s</td><td><svg class="impact" width="170" height="14"><rect width="%d" height="12" y="1" rx="2" fill="#dc2626"/><text x="%d" y="11" font-size="11" fill="#0f172a">%d</text></svg></td><td class="%s">%s</td>%s<td>%d</td><td>%d</td><td>%d</td>%s<td>%s</td></tr>')
          :format(esc(r.node), assumed_mark(r), math.max(1, w), math.max(1, w) + 4, r.impact, r.proxmox:find("LOST") and "bad" or "ok", esc(r.proxmox),
                  has.etcd and ('<td class="%s">%s</td>'):format(r.etcd:find("LOST") and "bad" or "ok", esc(r.etcd)) or "",
                  r.moved, r.stranded, r.slo_lost, has.gpu and ("<td>%d</td>"):format(r.gpu) or "", esc(table.concat(r.why, "; ")))
      end
      s[#s + 1] = "</tbody></table>"
      return table.concat(s, "\n")
    end

    local function spof_list()
      local s = { '<table id="spof"><thead><tr><th>element</th><th>kind</th><th>consequences</th><th>mitigation</th></tr></thead><tbody>' }
      for _, p in ipairs(data.spof) do
        s[#s + 1] = ("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"):format(esc(p.element), esc(p.kind),
          esc(table.concat(p.consequences, "; ")), esc(p.mitigation))
      end
      s[#s + 1] = "</tbody></table>"
      return table.concat(s, "\n")
    end

    local function resource_table()
      local s = { '<table id="resources"><thead><tr><th>resource</th><th>installed</th><th>allocated</th><th>used</th><th>free</th><th>utilisation</th><th>band</th><th>&gt;85%</th><th>&gt;95%</th></tr></thead><tbody>' }
      for _, r in ipairs(data.resources) do
        s[#s + 1] = ('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s%s</td><td class="%s">%s</td><td>%s</td><td>%s</td></tr>')
          :format(esc(r.name), esc(human(r.installed, r.unit)), esc(human(r.allocated, r.unit)), esc(human(r.used, r.unit)),
                  esc(human(r.free, r.unit)), percent_text(r.percent), assumed_mark(r), r.position == "above" and "bad" or "ok",
                  esc(r.position or "-"), esc(r.crosses_85 or "-"), esc(r.crosses_95 or "-"))
      end
      s[#s + 1] = "</tbody></table>"
      return table.concat(s, "\n")
    end

    local site = lab.inventory.current().site.name
    local page = ([[<!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Capacity - %s</title>
    <style>
    body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #0f172a; background: #fff; }
    h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
    p.meta { color: #475569; margin: 0 0 12px; }
    table { border-collapse: collapse; font-size: 13px; }
    th, td { border-bottom: 1px solid #e2e8f0; padding: 4px 10px; text-align: left; vertical-align: top; }
    th { background: #f1f5f9; }
    td.bad { color: #b91c1c; font-weight: 600; } td.ok { color: #15803d; }
    .callout { background: #fef3c7; border-left: 4px solid #d97706; padding: 8px 12px; margin: 12px 0; max-width: 740px; }
    </style></head>
    <body>
    <h1>Capacity and failure simulation: %s</h1>
    <p class="meta">Generated %s by labsh %s. Target band %d-%d%%. Used figures: %s.</p>
    %s
    <h2>Utilisation</h2>
    %s
    %s
    <h2>Forecast (growth projections, next %d months)</h2>
    %s
    <h2>Single-node failures (n-1), worst first</h2>
    %s
    %s
    <h2>Single points of failure</h2>
    %s
    </body></html>
    ]]):format(esc(site), esc(site), os.date("!%Y-%m-%d %H:%M UTC", report.now), lab.version,
      math.floor(lo * 100 + 0.5), math.floor(hi * 100 + 0.5),
      report.source == "prometheus" and "live from Prometheus" or "none (allocation)",
      report.first and ('<div class="callout">First to cross 85%%: <b>%s</b>. Buy first: <b>%s</b> (phase %s, %s).</div>')
        :format(esc(report.first), esc(report.buy or "-"), esc(report.buy_phase or "-"), esc(report.buy_when or "-")) or "",
      utilisation_svg(), resource_table(), months, forecast_svg(), n1_table(), assumed_note(), spof_list())

    -- under --dry-run the gate says what would be written, and nothing is
    if not require("labsh.gate").allows(("write %s (%d bytes)"):format(out, #page)) then return end
    local ok, why = require("labsh.files").write_atomically(out, page)
    if not ok then io.stderr:write(("capacity: cannot write %s: %s\n"):format(out, tostring(why))) os.exit(1) end
    io.stderr:write(("capacity: wrote %s\n"):format(out))
  end,
}
