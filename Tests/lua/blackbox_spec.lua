-- labsh -m gen blackbox: blackbox_exporter's modules and Prometheus's scrape
-- jobs from the inventory's service probes, checked by the exporter's own
-- --config.check and promtool; then end to end: a real blackbox_exporter and
-- Prometheus (started here on free loopback ports) probe a healthy HTTP
-- service, a TCP port nobody listens on and an HTTPS server whose certificate
-- expires in 5 days, and probe_success carries service, tier and vlan.

local probe = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/probe_support.lua")
local labsh = os.getenv("LABSH_BIN") or arg[-1]

local function gen(inventory, dir, ...)
  local argv = { labsh }
  if inventory then argv[#argv + 1] = "--inventory"; argv[#argv + 1] = inventory end
  for _, a in ipairs { "-m", "gen", "blackbox", "--out", dir, ... } do argv[#argv + 1] = a end
  return probe.must_run(argv)
end

local function check_with_tools(dir)
  probe.must_run { "prometheus-blackbox-exporter", "--config.check", "--config.file=" .. dir .. "/blackbox.yml" }
  probe.must_run { "promtool", "check", "config", dir .. "/prometheus-blackbox.yml" }
end

test("the built-in homelab: every probe kind, accepted by blackbox_exporter and promtool", function()
  local dir = probe.temp_dir()
  local r = gen(nil, dir)
  for _, file in ipairs { "blackbox.yml", "prometheus-blackbox.yml", "blackbox-targets-http.yml",
                          "blackbox-targets-tcp.yml", "blackbox-targets-dns.yml", "blackbox-targets-icmp.yml" } do
    assert(r.stdout:find("wrote " .. dir .. "/" .. file, 1, true), r.stdout)
  end
  check_with_tools(dir)
  local scrape = read_file(dir .. "/prometheus-blackbox.yml")
  for _, job in ipairs { "blackbox-http", "blackbox-tcp", "blackbox-dns", "blackbox-icmp" } do
    assert(scrape:find('job_name: "' .. job .. '"', 1, true), job)
  end
  -- every probed service of the inventory is a target, labelled
  local targets = read_file(dir .. "/blackbox-targets-http.yml") .. read_file(dir .. "/blackbox-targets-tcp.yml")
    .. read_file(dir .. "/blackbox-targets-dns.yml") .. read_file(dir .. "/blackbox-targets-icmp.yml")
  for _, service in ipairs(lab.services()) do
    assert(targets:find('service: "' .. service.name .. '"', 1, true), service.name)
  end
end)

test("a service name that could break YAML stays a label value", function()
  local dir = probe.temp_dir()
  local inv = write_temp(probe.homelab([[
    { name = 'x" # evil: [1]', tier = 2, runs_on = "hv1", vlan = 10, probe = { kind = "dns", target = "a.lab.test" } },
  ]]))
  gen(inv, dir)
  check_with_tools(dir)
end)

test("a probe expecting a status that is no status code is refused, naming the service", function()
  local dir = probe.temp_dir()
  local inv = write_temp(probe.homelab([[
    { name = "web", tier = 2, runs_on = "hv1", vlan = 10, probe = { kind = "http", target = "http://127.0.0.1/", expect = "ok" } },
  ]]))
  local r = lab.process.run { argv = { labsh, "--inventory", inv, "-m", "gen", "blackbox", "--out", dir } }
  assert_eq(r.status, 1, r.stdout)
  assert(r.stderr:find("service web", 1, true), r.stderr)
end)

test("end to end: probe_success per service, labelled, from the real exporter and Prometheus", function()
  local dir = probe.temp_dir()
  local cert, key = dir .. "/cert.pem", dir .. "/key.pem"
  probe.must_run { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "5", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert }
  local http_port, tls_port, closed_port, exporter_port = probe.free_port(), probe.free_port(), probe.free_port(), probe.free_port()
  local servers = {}
  probe.with_servers(servers, function()
    servers[#servers + 1] = probe.start(dir, "http", { "python3", "-m", "http.server", "--bind", "127.0.0.1",
      "--directory", dir, tostring(http_port) })
    servers[#servers + 1] = probe.start(dir, "tls", { "openssl", "s_server", "-accept", "127.0.0.1:" .. tls_port,
      "-cert", cert, "-key", key, "-www", "-quiet" })
    local inv = write_temp(probe.homelab(([[
    { name = "healthy", tier = 2, runs_on = "hv1", vlan = 10, probe = { kind = "http", target = "http://127.0.0.1:%d/", expect = 200 } },
    { name = "failing", tier = 3, runs_on = "hv1", vlan = 10, probe = { kind = "tcp", target = "127.0.0.1:%d" } },
    { name = "expiring", tier = 1, runs_on = "hv1", vlan = 10, probe = { kind = "http", target = "https://127.0.0.1:%d/", expect = 200 } },
    ]]):format(http_port, closed_port, tls_port)))
    local out = dir .. "/out"
    require("labsh.filesystem").make_directories(out)
    gen(inv, out, "--exporter", "127.0.0.1:" .. exporter_port, "--ca-file", cert)
    check_with_tools(out)
    servers[#servers + 1] = probe.start(dir, "blackbox", { "prometheus-blackbox-exporter",
      "--config.file=" .. out .. "/blackbox.yml", "--web.listen-address=127.0.0.1:" .. exporter_port })
    local config = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n" .. read_file(out .. "/prometheus-blackbox.yml")
    local prom = probe.prometheus(out, config)
    servers[#servers + 1] = prom
    local client = lab.prom.connect { url = prom.url }
    local by_service = probe.eventually("probe_success for the three services", function()
      local found = {}
      for _, sample in ipairs(client:query("probe_success")) do found[sample.metric.service] = sample end
      return found.healthy and found.failing and found.expiring and found
    end)
    assert_eq(by_service.healthy.value, 1, "healthy")
    assert_eq(by_service.failing.value, 0, "failing")
    assert_eq(by_service.expiring.value, 1, "expiring (its certificate is still valid)")
    assert_eq(by_service.healthy.metric.tier, "2")
    assert_eq(by_service.failing.metric.tier, "3")
    assert_eq(by_service.healthy.metric.vlan, "10")
    assert_eq(by_service.healthy.metric.job, "blackbox-http")
    assert_eq(by_service.failing.metric.job, "blackbox-tcp")
    assert_eq(by_service.failing.metric.instance, "127.0.0.1:" .. closed_port)
    -- the certificate's expiry, as the catalogue's cert-expiry-7d rule reads it
    local left = client:query('probe_ssl_earliest_cert_expiry{service="expiring"} - time()')[1]
    assert(left and left.value > 4 * 86400 and left.value < 7 * 86400, "seconds left: " .. tostring(left and left.value))
  end)
end)
