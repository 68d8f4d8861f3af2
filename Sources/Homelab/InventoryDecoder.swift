/// Reads an inventory value into the model. The keys allowed at each level
/// are those declared in stdlib/meta/inventory.d.lua; a test keeps the two
/// lists equal.
extension Inventory {
    public static let sections = ["site", "nodes", "guests", "vlans", "policy", "storage", "services",
                                  "backups", "alerts", "capacity", "maintenance", "recovery", "monitoring",
                                  "alerting", "ssh", "targets", "ha_groups", "proxmox", "roadmap"]

    /// Validates `value` (the table an inventory file returned). Throws every
    /// error found; returns the model and the warnings.
    public static func load(_ value: InventoryValue, file: String) throws -> (Inventory, [Diagnostic]) {
        let log = DiagnosticLog()
        let inventory = decode(value, log: log)
        if let inventory, !log.hasErrors { InventoryChecks(inventory, log: log).run() }
        guard let inventory, !log.hasErrors else {
            throw InventoryError(file: file, diagnostics: log.items)
        }
        return (inventory, log.items)
    }

    static func decode(_ value: InventoryValue, log: DiagnosticLog) -> Inventory? {
        guard let top = FieldTable(value, at: FieldPath(), log: log, allowed: sections) else { return nil }
        let site = top.table("site", allowed: ["name", "domain", "timezone", "upstream"]).flatMap(decodeSite)
        let nodes = decodeList(top, "nodes", decodeNode)
        let guests = decodeList(top, "guests", required: false, decodeGuest)
        let vlans = decodeList(top, "vlans", decodeVlan)
        let zones = vlans.map(\.zone)
        let policyTable = top.table("policy", allowed: ["default", "rules", "boundaries"])
        let policy = policyTable.flatMap { decodePolicy($0, zones: zones) }
        let boundaries = policyTable.map { decodeBoundaries($0, zones: zones) } ?? []
        let storage = top.table("storage", required: false, allowed: ["classes", "tiers", "locations"]).map(decodeStorage) ?? Storage()
        let services = decodeList(top, "services", required: false, decodeService)
        let backups = decodeList(top, "backups", required: false, decodeBackup)
        let alertsAt = (top.list("alerts", required: false) ?? []).compactMap { v, p in decodeAlert(v, p, log).map { ($0, p) } }
        AlertCatalogue.validate(alertsAt, log: log)
        let alerts = alertsAt.map(\.0)
        let alerting = top.table("alerting", required: false, allowed: ["receivers", "route", "email"])
            .map(decodeAlerting) ?? Alerting()
        let capacity = top.table("capacity", required: false,
                                 allowed: ["target_band", "growth", "baseline", "stated", "expansion"]).flatMap(decodeCapacity)
        let maintenance = decodeList(top, "maintenance", required: false, decodeWindow)
        let recovery = decodeList(top, "recovery", required: false, decodeRecovery)
        let monitoring = top.table("monitoring", required: false,
                                   allowed: ["prometheus", "alertmanager", "pushgateway", "textfile_dir"])
            .map(decodeMonitoring) ?? Monitoring()
        let ssh = top.table("ssh", required: false, allowed: SSHAccess.keys).map { decodeSSH($0, allowHost: false) }
        let targets = top.has("targets") ? decodeTargets(top) : [:]
        let haGroups = decodeList(top, "ha_groups", required: false, decodeHAGroup)
        let proxmox = top.table("proxmox", required: false, allowed: ProxmoxConfig.keys).flatMap(decodeProxmox)
        let roadmap = decodeList(top, "roadmap", required: false, decodePhase)
        guard let site, let policy else { return nil }
        return Inventory(site: site, nodes: nodes, guests: guests, vlans: vlans, policy: policy.0,
                         policyDefault: policy.1, storage: storage, services: services, backups: backups,
                         alerts: alerts, capacity: capacity, maintenance: maintenance, recovery: recovery,
                         monitoring: monitoring, alerting: alerting, ssh: ssh, targets: targets, haGroups: haGroups,
                         boundaries: boundaries, proxmox: proxmox, roadmap: roadmap)
    }

    /// `roadmap = { { phase = 0, name = "Foundation", status = "current", items = {...} }, ... }`.
    static func decodePhase(_ v: InventoryValue, _ path: FieldPath, _ log: DiagnosticLog) -> Phase? {
        guard let t = FieldTable(v, at: path, log: log, allowed: ["phase", "name", "status", "items"]) else { return nil }
        let number = t.integer("phase", in: 0...99), name = t.string("name")
        let status = t.choice("status", ["done", "current", "planned"])
        let items = t.strings("items", required: false) ?? []
        guard let number, let name, let status else { return nil }
        return Phase(number: number, name: name, status: status, items: items)
    }

    /// Decodes each element of a list section; elements with errors are dropped
    /// (their errors are logged), so the rest is still checked.
    static func decodeList<T>(_ top: FieldTable, _ key: String, required: Bool = true,
                              _ decode: (InventoryValue, FieldPath, DiagnosticLog) -> T?) -> [T] {
        (top.list(key, required: required) ?? []).compactMap { decode($0.0, $0.1, top.log) }
    }

    static func decodeSite(_ t: FieldTable) -> Site? {
        let name = t.string("name"), domain = t.domainName("domain"), timezone = t.string("timezone")
        let upstream = t.parsed("upstream", required: false) { try IPNetwork(parsing: $0) }
        guard let name, let domain, let timezone else { return nil }
        return Site(name: name, domain: domain, timezone: timezone, upstream: upstream)
    }

    static let nodeKeys = ["name", "kind", "vendor", "model", "os", "cpu", "ram", "disks", "gpus", "nics",
                           "role", "cluster", "address", "vlans", "tags", "notes", "uplinks", "power", "ssh", "assumed"]
    static let guestKeys = ["name", "kind", "node", "vcpu", "ram", "disk", "role",
                            "ha_group", "vlan", "address", "tags", "ssh", "vmid", "assumed"]
    /// The fields `assumed` may name: facts a plan can leave open.
    static let assumableNodeKeys = ["vendor", "model", "os", "cpu", "ram", "disks", "gpus", "nics", "role",
                                    "cluster", "address", "vlans", "uplinks", "power"]
    static let assumableGuestKeys = ["kind", "node", "vcpu", "ram", "disk", "role", "ha_group", "vlan", "address", "vmid"]

    static func decodeNode(_ v: InventoryValue, _ path: FieldPath, _ log: DiagnosticLog) -> Node? {
        guard let t = FieldTable(v, at: path, log: log, allowed: nodeKeys) else { return nil }
        let name = t.hostName("name")
        let kind = t.choice("kind", Node.Kind.allCases.map(\.rawValue)).flatMap(Node.Kind.init(rawValue:))
        let cpu = t.table("cpu", required: false, allowed: ["model", "cores", "threads"]).flatMap { c -> Cpu? in
            let model = c.string("model"), cores = c.integer("cores", in: 1...1024), threads = c.integer("threads", in: 1...4096)
            guard let model, let cores, let threads else { return nil }
            if threads < cores { log.error(c.path, "threads (\(threads)) fewer than cores (\(cores))") }
            return Cpu(model: model, cores: cores, threads: threads)
        }
        let disks: [Disk] = (t.list("disks", required: false) ?? []).compactMap { dv, dp in
            guard let d = FieldTable(dv, at: dp, log: log, allowed: ["type", "size"]) else { return nil }
            let type = d.choice("type", ["nvme", "ssd", "hdd", "emmc", "sd"]), size = d.size("size")
            guard let type, let size else { return nil }
            return Disk(type: type, size: size)
        }
        let gpus: [Gpu] = (t.list("gpus", required: false) ?? []).compactMap { gv, gp in
            guard let g = FieldTable(gv, at: gp, log: log, allowed: ["model", "vram", "purpose"]) else { return nil }
            guard let model = g.string("model") else { return nil }
            return Gpu(model: model, vram: g.size("vram", required: false), purpose: g.string("purpose", required: false))
        }
        let nics: [Nic] = (t.list("nics", required: false) ?? []).compactMap { nv, np in
            guard let n = FieldTable(nv, at: np, log: log, allowed: ["name", "speed", "count"]) else { return nil }
            guard let speed = n.string("speed") else { return nil }
            return Nic(name: n.string("name", required: false), speed: speed,
                       count: n.integer("count", required: false, in: 1...512) ?? 1)
        }
        let address = t.address("address")
        let vlans = t.integers("vlans") ?? []
        guard let name, let kind, let address else { return nil }
        return Node(name: name, kind: kind, vendor: t.string("vendor", required: false),
                    model: t.string("model", required: false), os: t.string("os", required: false), cpu: cpu,
                    ram: t.size("ram", required: false), disks: disks, gpus: gpus, nics: nics,
                    role: t.string("role", required: false), cluster: t.string("cluster", required: false),
                    address: address, vlans: vlans, tags: t.strings("tags") ?? [],
                    notes: t.string("notes", required: false),
                    uplinks: t.strings("uplinks") ?? [], power: t.strings("power") ?? [],
                    ssh: t.table("ssh", required: false, allowed: SSHAccess.keys).map { decodeSSH($0, allowHost: true) },
                    assumed: t.assumed(among: assumableNodeKeys))
    }

    static func decodeGuest(_ v: InventoryValue, _ path: FieldPath, _ log: DiagnosticLog) -> Guest? {
        guard let t = FieldTable(v, at: path, log: log, allowed: guestKeys) else { return nil }
        let name = t.hostName("name"), kind = t.choice("kind", ["vm", "lxc"]), node = t.string("node")
        let vcpu = t.integer("vcpu", in: 1...1024), ram = t.size("ram"), disk = t.size("disk")
        let vlan = t.integer("vlan", in: 1...4094), address = t.address("address")
        guard let name, let kind, let node, let vcpu, let ram, let disk, let vlan, let address else { return nil }
        return Guest(name: name, kind: kind, node: node, vcpu: vcpu, ram: ram, disk: disk,
                     role: t.string("role", required: false), haGroup: t.string("ha_group", required: false),
                     vlan: vlan, address: address, tags: t.strings("tags") ?? [],
                     ssh: t.table("ssh", required: false, allowed: SSHAccess.keys).map { decodeSSH($0, allowHost: true) },
                     vmid: t.integer("vmid", required: false, in: 100...999_999_999),
                     assumed: t.assumed(among: assumableGuestKeys))
    }

    static func decodeVlan(_ v: InventoryValue, _ path: FieldPath, _ log: DiagnosticLog) -> Vlan? {
        guard let t = FieldTable(v, at: path, log: log, allowed: ["id", "name", "subnet", "gateway", "purpose", "zone",
                                                                  "trust", "public"]) else { return nil }
        let id = t.integer("id", in: 1...4094), name = t.string("name")
        let subnet = t.parsed("subnet") { try IPNetwork(parsing: $0) }
        let gateway = t.address("gateway"), zone = t.string("zone")
        let trust = t.choice("trust", ["critical", "high", "medium", "low", "isolated"])
        guard let id, let name, let subnet, let gateway, let zone, let trust else { return nil }
        return Vlan(id: id, name: name, subnet: subnet, gateway: gateway, purpose: t.string("purpose", required: false),
                    zone: zone, trust: trust, isPublic: t.boolean("public") ?? false)
    }

    static func decodePolicy(_ t: FieldTable, zones: [String]) -> (Policy, Policy.Action)? {
        let defaultAction = t.choice("default", ["deny", "allow"]).flatMap(Policy.Action.init(rawValue:))
        var rules: [Policy.Rule] = []
        for (rv, rp) in t.list("rules") ?? [] {
            guard let r = FieldTable(rv, at: rp, log: t.log, allowed: ["from", "to", "action", "ports", "proto", "note"])
            else { continue }
            let from = r.string("from"), to = r.string("to")
            let action = r.choice("action", Policy.Action.allCases.map(\.rawValue)).flatMap(Policy.Action.init(rawValue:))
            let proto = r.choice("proto", Policy.Proto.allCases.map(\.rawValue), required: false)
                .flatMap(Policy.Proto.init(rawValue:)) ?? .any
            var ports: [Policy.PortRange]?
            if let items = r.list("ports", required: false) {
                ports = items.compactMap { pv, pp in
                    do {
                        switch pv {
                        case .integer(let p): return try Policy.PortRange(parsing: String(p))
                        case .string(let s): return try r.checkedText(s, at: pp).map(Policy.PortRange.init(parsing:))
                        default: r.log.error(pp, "expected a port or a range like \"8000-8100\", got a \(pv.typeName)")
                        }
                    } catch {
                        r.log.error(pp, "\(error)")
                    }
                    return nil
                }
            }
            for (key, zone) in [("from", from), ("to", to)] {
                guard let zone else { continue }
                let known = zones + [Policy.anyZone] + (key == "to" ? [Policy.internet] : [])
                if !known.contains(zone) {
                    r.log.error(rp.appending(key), "unknown zone '\(zone)'\(Suggestion.didYouMean(zone, in: known))")
                }
            }
            guard let from, let to, let action else { continue }
            rules.append(Policy.Rule(from: from, to: to, action: action, ports: ports, proto: proto,
                                     note: r.string("note", required: false)))
        }
        guard let defaultAction, !t.log.hasErrors else { return nil }
        do {
            return (try Policy(zones: zones, rules: rules), defaultAction)
        } catch {
            t.log.error(t.path, "\(error)")
            return nil
        }
    }

    static func decodeStorage(_ t: FieldTable) -> Storage {
        var storage = Storage()
        for (cv, cp) in t.list("classes", required: false) ?? [] {
            guard let c = FieldTable(cv, at: cp, log: t.log, allowed: ["name", "kind", "status", "notes"]) else { continue }
            let name = c.string("name"), kind = c.choice("kind", ["local", "replicated", "shared", "dedicated"])
            let status = c.choice("status", ["active", "planned"])
            if let name, let kind, let status {
                storage.classes.append(.init(name: name, kind: kind, status: status, notes: c.string("notes", required: false)))
            }
        }
        for (tv, tp) in t.list("tiers", required: false) ?? [] {
            guard let s = FieldTable(tv, at: tp, log: t.log, allowed: ["name", "media", "use"]) else { continue }
            let name = s.choice("name", ["hot", "warm", "cold"]), media = s.string("media"), use = s.string("use")
            if let name, let media, let use { storage.tiers.append(.init(name: name, media: media, use: use)) }
        }
        for (lv, lp) in t.list("locations", required: false) ?? [] {
            guard let l = FieldTable(lv, at: lp, log: t.log, allowed: ["name", "medium", "offsite", "prune", "description"])
            else { continue }
            let name = l.string("name"), medium = l.string("medium"), offsite = l.boolean("offsite", required: true)
            let prune = l.choice("prune", ["restic", "pbs"], required: false)
            if let name, let medium, let offsite {
                storage.locations.append(.init(name: name, medium: medium, offsite: offsite, prune: prune,
                                               description: l.string("description", required: false)))
            }
        }
        return storage
    }

    /// Availability by tier when a service names none: the plan's §6.
    static let tierTargets = [1: "99.5", 2: "99", 3: "95"]

    static func decodeService(_ v: InventoryValue, _ path: FieldPath, _ log: DiagnosticLog) -> Service? {
        guard let t = FieldTable(v, at: path, log: log, allowed: ["name", "tier", "runs_on", "vlan", "endpoint", "probe",
                                                                  "slo", "phase", "technology", "addresses"]) else { return nil }
        let name = t.string("name"), tier = t.integer("tier", in: 1...3), runsOn = t.string("runs_on")
        let vlan = t.integer("vlan", in: 1...4094)
        let probe = t.table("probe", required: false, allowed: ["kind", "target", "expect"]).flatMap { p -> Probe? in
            let kind = p.choice("kind", ["http", "tcp", "dns", "icmp"]), target = p.string("target")
            var expect: String?
            switch p.fields["expect"] {
            case .string(let s)?: expect = p.checkedText(s, at: p.path.appending("expect"))
            case .integer(let i)?: expect = String(i)
            case nil: break
            case let other?: log.error(p.path.appending("expect"), "expected a string or an integer, got a \(other.typeName)")
            }
            guard let kind, let target else { return nil }
            return Probe(kind: kind, target: target, expect: expect)
        }
        var slo: AvailabilityTarget?
        if t.has("slo") {
            if let percent = t.number("slo") {
                do { slo = try AvailabilityTarget(percent: percent) } catch { log.error(path.appending("slo"), "\(error)") }
            }
        } else if let tier, let text = tierTargets[tier] {
            slo = try? AvailabilityTarget(parsing: text)
        }
        // Read before the guard, so their errors are reported too.
        let endpoint = t.string("endpoint", required: false), technology = t.string("technology", required: false)
        let addresses = t.addresses("addresses")
        guard let name, let tier, let runsOn, let vlan, let slo else { return nil }
        return Service(name: name, tier: tier, runsOn: runsOn, vlan: vlan, endpoint: endpoint,
                       probe: probe, slo: slo, phase: t.integer("phase", required: false, in: 1...9) ?? 1,
                       technology: technology, addresses: addresses)
    }

    static func decodeBackup(_ v: InventoryValue, _ path: FieldPath, _ log: DiagnosticLog) -> Backup? {
        guard let t = FieldTable(v, at: path, log: log, allowed: ["name", "resource", "schedule", "retention", "keep",
                                                                  "target", "rpo", "tier", "copies", "grace"]) else { return nil }
        let name = t.string("name"), resource = t.string("resource")
        // Parsed here so a bad one is reported where it is: backups[2].schedule.
        let schedule = t.parsed("schedule") { text -> String in _ = try Schedule(parsing: text); return text }
        let retention = t.duration("retention"), target = t.string("target")
        var keep: [String: Int] = [:]
        if let k = t.table("keep", required: false, allowed: ["last", "hourly", "daily", "weekly", "monthly", "yearly"]) {
            for key in k.fields.keys.sorted() { keep[key] = k.integer(key, in: -1...1_000_000) }
        }
        guard let name, let resource, let schedule, let retention, let target else { return nil }
        return Backup(name: name, resource: resource, schedule: schedule, retention: retention, keep: keep,
                      target: target, rpo: t.duration("rpo", required: false),
                      tier: t.integer("tier", required: false, in: 1...3), copies: t.strings("copies") ?? [],
                      grace: t.duration("grace", required: false))
    }

    static func decodeAlert(_ v: InventoryValue, _ path: FieldPath, _ log: DiagnosticLog) -> Alert? {
        guard let t = FieldTable(v, at: path, log: log, allowed: alertKeys) else { return nil }
        let name = t.string("name"), severity = t.choice("severity", ["P1", "P2", "P3", "P4"])
        let summary = t.string("summary")
        let expr = t.string("expr", required: false, multiline: true), check = t.string("check", required: false)
        if expr == nil && check == nil && !t.has("expr") && !t.has("check") {
            log.error(path, "needs an 'expr' (PromQL) or a 'check' (a labsh check)")
        }
        // Read before the guard, so their errors are reported too.
        let runbook = t.string("runbook", required: false)
        let labels = stringMap(t, "labels"), annotations = stringMap(t, "annotations")
        guard let name, let severity, let summary else { return nil }
        return Alert(name: name, severity: severity, expr: expr, check: check,
                     holdFor: t.duration("for", required: false), summary: summary, runbook: runbook,
                     labels: labels, annotations: annotations, model: decodeAlertModel(t))
    }

    static func decodeCapacity(_ t: FieldTable) -> Capacity? {
        var band: ClosedRange<Double>?
        if let items = t.list("target_band") {
            let numbers = items.compactMap { v, _ -> Double? in
                switch v { case .integer(let i): return Double(i); case .number(let d): return d; default: return nil }
            }
            if numbers.count == 2, numbers[0] < numbers[1], numbers[0] >= 0, numbers[1] <= 100 {
                band = numbers[0]...numbers[1]
            } else {
                t.log.error(t.path.appending("target_band"), "expected {low, high} percentages with low < high")
            }
        }
        var growth: [String: Double] = [:]
        if let g = t.table("growth", allowed: ["compute", "memory", "storage", "network"]) {
            for key in g.fields.keys.sorted() { growth[key] = g.number(key) }
        }
        let baseline = figures(t, "baseline", rows: ["cpu", "ram", "storage", "network"],
                               columns: ["allocated", "available", "usage"])
        let stated = figures(t, "stated", rows: Node.Kind.allCases.map(\.rawValue) + ["all"],
                             columns: ["cores", "threads", "ram", "storage"])
        let expansion: [Expansion] = (t.list("expansion", required: false) ?? []).compactMap { ev, ep in
            guard let e = FieldTable(ev, at: ep, log: t.log, allowed: ["phase", "when", "items"]) else { return nil }
            let phase = e.integer("phase", in: 1...99), when = e.string("when"), items = e.strings("items", required: true)
            guard let phase, let when, let items else { return nil }
            return Expansion(phase: phase, when: when, items: items)
        }
        guard let band else { return nil }
        return Capacity(targetBand: band, growth: growth, baseline: baseline, stated: stated, expansion: expansion)
    }

    /// A table of figures kept as written ("164GB", "50+", 80), row by column.
    static func figures(_ t: FieldTable, _ key: String, rows: [String], columns: [String]) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        guard let table = t.table(key, required: false, allowed: rows) else { return out }
        for row in table.fields.keys.sorted() {
            guard let r = table.table(row, allowed: columns) else { continue }
            var figures: [String: String] = [:]
            for (k, v) in r.fields {
                switch v {
                case .string(let s): figures[k] = r.checkedText(s, at: r.path.appending(k))
                case .integer(let i): figures[k] = String(i)
                case .number(let d): figures[k] = String(d)
                default: r.log.error(r.path.appending(k), "expected a figure, got a \(v.typeName)")
                }
            }
            out[row] = figures
        }
        return out
    }

    static func decodeWindow(_ v: InventoryValue, _ path: FieldPath, _ log: DiagnosticLog) -> Window? {
        guard let t = FieldTable(v, at: path, log: log, allowed: ["name", "schedule", "duration", "notes"]) else { return nil }
        let schedule = t.parsed("schedule", required: false) { text -> String in _ = try Schedule(parsing: text); return text }
        guard let name = t.string("name") else { return nil }
        return Window(name: name, schedule: schedule,
                      duration: t.duration("duration", required: false), notes: t.string("notes", required: false))
    }

    static func decodeRecovery(_ v: InventoryValue, _ path: FieldPath, _ log: DiagnosticLog) -> Recovery? {
        guard let t = FieldTable(v, at: path, log: log, allowed: ["tier", "rto", "rpo"]) else { return nil }
        let tier = t.integer("tier", in: 1...3), rto = t.duration("rto"), rpo = t.duration("rpo")
        guard let tier, let rto, let rpo else { return nil }
        return Recovery(tier: tier, rto: rto, rpo: rpo)
    }

    static func decodeMonitoring(_ t: FieldTable) -> Monitoring {
        Monitoring(prometheus: decodeEndpoint(t, "prometheus"),
                   alertmanager: decodeEndpoint(t, "alertmanager"),
                   pushgateway: decodeEndpoint(t, "pushgateway"),
                   textfileDirectory: t.string("textfile_dir", required: false))
    }

    static let endpointKeys = ["url", "ca_file", "insecure", "bearer", "user", "password"]

    /// An endpoint is its URL alone, or a table with the URL and credentials.
    static func decodeEndpoint(_ t: FieldTable, _ key: String) -> MonitoringEndpoint? {
        let path = t.path.appending(key)
        do {
            switch t.fields[key] {
            case nil:
                return nil
            case .string(let url)?:
                return try MonitoringEndpoint(url: url)
            default:
                guard let e = t.table(key, allowed: endpointKeys), let url = e.string("url") else { return nil }
                let secret = { (field: String) in try e.string(field, required: false).map(SecretReference.init(parsing:)) }
                return try MonitoringEndpoint(url: url, caFile: e.string("ca_file", required: false),
                                              insecure: e.boolean("insecure") ?? false, bearer: secret("bearer"),
                                              user: e.string("user", required: false), password: secret("password"))
            }
        } catch {
            t.log.error(path, "\(error)")
            return nil
        }
    }
}
