---@meta
-- Declarations of `lab.gen`, the configuration generators, for editors
-- (LuaLS) and for help() at the labsh prompt.

---Configuration files computed from the current inventory. The functions
---return text and write nothing; `labsh -m gen bind|openwrt --out DIR` writes
---the files (each atomically). A generator that cannot express the inventory
---raises an error object of kind "gen". Inventory text reaches every file as
---data only: in comments, quoted UCI values or escaped YAML scalars (the loader
---has refused control characters already).
lab.gen = {}

---BIND9 zone files: the forward zone of site.domain (an A/AAAA record per
---node and guest, the gateway's address on each VLAN, a name per service whose
---endpoint is in the domain) and a reverse zone per VLAN subnet and the
---upstream network (a PTR per address). Forward zone first, then the reverse
---zones in address order. The SOA serial is opts.serial, or YYYYMMDDnn from
---opts.date ("2026-01-15") and opts.revision (default 1), else 1.
---@param opts {serial: integer?, date: string?, revision: integer?, ttl: integer?}? ttl: $TTL in seconds (3600)
---@return {zone: string, file: string, text: string}[] zones file is "db.ZONE"
function lab.gen.bind(opts) end

---OpenWrt 22.03+ configuration for the gateway node: /etc/config/network (a
---DSA bridge over the trunk, a bridge-vlan and a static interface per VLAN,
---the WAN port) and /etc/config/firewall (default REJECT, a zone per security
---zone plus wan, a forwarding per zone pair the policy allows in full, a rule
---per allowed port range where it allows only some). Ports are assumed:
---opts.wan = "eth1" (the Pi 5's HAT), opts.trunk = { "eth0" } (on-board).
---@param opts {wan: string?, trunk: string[]?}?
---@return {network: string, firewall: string} files
function lab.gen.openwrt(opts) end

---Prometheus alerting rules (a `rule_files:` file) from the inventory's
---alert catalogue: one group per severity ("labsh-P1"...), each rule with
---its `for`, labels severity, response and rule (and the inventory's), and
---annotations summary and runbook_url. A rule with a `check` fires on
---labsh_check_status{check="NAME"} >= 2. `promtool check rules` accepts it.
---Label values and annotations are written so that Prometheus prints them as
---the inventory has them: "{{" in a summary is text, not a Go template.
---A check rule no labsh command publishes carries a comment saying so. Then
---burn-rate groups per tier ("labsh-slo-tier1"...): SloBurnRateFast (14.4x
---over 1h and 5m) and SloBurnRateSlow (6x over 6h and 30m) page as P1,
---SloBurnRateTicket (1x over 3d and 6h) is P3, from probe_success{tier=...}.
---@return string text
function lab.gen.prometheus_rules() end

---alertmanager.yml from the inventory's `alerting` section: a route per
---severity (P1 page, P2 chat, P3 ticket, P4 one daily digest) with group and
---repeat intervals to fit, an inhibit rule (P1 mutes lesser alerts of the
---same instance), the receivers' webhooks and emails; secrets as
---credentials_file / smtp_auth_password_file paths. Raises kind "gen" when
---the inventory has no receivers. `amtool check-config` accepts it.
---@return string text
function lab.gen.alertmanager() end

---blackbox_exporter for the inventory's service probes: a list of
---{file =, text =}: "blackbox.yml" (modules: http_CODE for HTTP status and
---TLS, tcp_connect, dns_SERVICE, icmp), "prometheus-blackbox.yml" (a scrape
---job per probe kind: blackbox-http, blackbox-tcp, blackbox-dns,
---blackbox-icmp) and "blackbox-targets-KIND.yml" (its file_sd targets,
---labelled service, tier and vlan). opts.exporter is where Prometheus
---reaches the exporter ("127.0.0.1:9115"), opts.ca_file the CA that HTTPS
---probes verify with, opts.interval the scrape interval in seconds.
---`labsh -m gen blackbox --out DIR` writes them; `blackbox_exporter
-----config.check` and `promtool check config` accept them.
---@param opts {exporter: string?, ca_file: string?, interval: integer?}?
---@return {file: string, text: string}[] files
function lab.gen.blackbox(opts) end
