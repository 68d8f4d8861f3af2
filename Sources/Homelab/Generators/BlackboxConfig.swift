/// Prometheus's blackbox_exporter runs the inventory's service probes:
/// `blackbox.yml` (its modules), a Prometheus scrape configuration with one
/// job per probe kind (`blackbox-http`, `blackbox-tcp`, `blackbox-dns`,
/// `blackbox-icmp`) and, per job, a `file_sd` targets file whose targets
/// carry the labels service, tier and vlan. Every string is a YAML
/// double-quoted scalar, so no name or URL can change a file's structure.
public enum BlackboxConfig {
    public struct Options: Sendable {
        /// Where Prometheus reaches the exporter (host:port).
        public var exporter = "127.0.0.1:9115"
        /// A CA bundle HTTP probes verify TLS with (else the system's).
        public var caFile: String?
        /// The scrape and probe interval, when not Prometheus's global one.
        public var interval: Duration?
        public init() {}
    }

    public struct Files: Sendable {
        /// (file name, text), blackbox.yml first.
        public var files: [(name: String, text: String)]
    }

    /// One probe as blackbox_exporter runs it.
    struct Target {
        var service: Inventory.Service
        var kind: String
        var module: String
        var address: String
    }

    public static func generate(_ inventory: Inventory, options: Options = Options()) throws -> Files {
        var targets: [Target] = []
        var modules: [String: String] = [:]
        for service in inventory.services {
            guard let probe = service.probe else { continue }
            let (module, body) = try self.module(for: probe, service: service, options: options)
            modules[module] = body
            targets.append(Target(service: service, kind: probe.kind, module: module,
                                  address: address(of: probe, service: service)))
        }
        var files = [(name: String, text: String)]()
        files.append(("blackbox.yml", blackboxYML(modules)))
        let kinds = ["http", "tcp", "dns", "icmp"].filter { k in targets.contains { $0.kind == k } }
        files.append(("prometheus-blackbox.yml", scrapeYML(kinds, options)))
        for kind in kinds {
            files.append((targetsFile(kind), targetsYML(targets.filter { $0.kind == kind })))
        }
        return Files(files: files)
    }

    static func targetsFile(_ kind: String) -> String { "blackbox-targets-\(kind).yml" }

    /// The module a probe needs and its YAML body (indented for `modules:`).
    /// HTTP modules are shared by expected status; a DNS module names what
    /// it asks for, so it is one per service.
    static func module(for probe: Inventory.Probe, service: Inventory.Service,
                       options: Options) throws -> (String, String) {
        switch probe.kind {
        case "http":
            let expect = probe.expect ?? "2xx"
            var body = "    prober: http\n    timeout: 5s\n    http:\n      preferred_ip_protocol: ip4\n"
            if let code = Int(expect) {
                body += "      valid_status_codes: [\(code)]\n"
            } else if expect != "2xx" {
                throw HomelabError("service \(service.name): probe.expect must be a status code or \"2xx\", not \(expect)")
            }
            if let ca = options.caFile { body += "      tls_config:\n        ca_file: \(YAML.quote(ca))\n" }
            return ("http_\(expect)", body)
        case "tcp":
            return ("tcp_connect", "    prober: tcp\n    timeout: 5s\n    tcp:\n      preferred_ip_protocol: ip4\n")
        case "dns":
            let name = host(of: probe.target)
            return ("dns_\(service.name)", "    prober: dns\n    timeout: 5s\n    dns:\n      preferred_ip_protocol: ip4\n"
                + "      query_name: \(YAML.quote(name))\n      query_type: \"A\"\n      valid_rcodes: [\"NOERROR\"]\n")
        default:  // icmp: the exporter needs CAP_NET_RAW (the Debian package grants it)
            return ("icmp", "    prober: icmp\n    timeout: 5s\n    icmp:\n      preferred_ip_protocol: ip4\n")
        }
    }

    /// What the exporter is asked to probe: the URL, host:port or host; a
    /// DNS probe asks the server of the service's endpoint (port 53 if none).
    static func address(of probe: Inventory.Probe, service: Inventory.Service) -> String {
        guard probe.kind == "dns" else { return probe.target }
        let server = service.endpoint ?? probe.target
        return server.contains(":") ? server : server + ":53"
    }

    /// "https://a.b:8443/x" -> "a.b"; "a.b:53" -> "a.b".
    static func host(of target: String) -> String {
        var rest = Substring(target)
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") { rest = rest[rest.index(colon, offsetBy: 3)...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let colon = rest.lastIndex(of: ":") { rest = rest[..<colon] }
        return String(rest)
    }

    static func blackboxYML(_ modules: [String: String]) -> String {
        var out = "# blackbox_exporter modules generated by labsh from the inventory's service probes.\n"
            + "# Do not edit: change the inventory and run `labsh -m gen blackbox`.\n"
            + "modules:\n"
        for name in modules.keys.sorted() { out += "  \(YAML.quote(name)):\n" + modules[name]! }
        if modules.isEmpty { out = out.replacing("modules:\n", with: "modules: {}\n") }
        return out
    }

    static func scrapeYML(_ kinds: [String], _ options: Options) -> String {
        var out = "# Prometheus scrape jobs for blackbox_exporter, generated by labsh (`labsh -m gen blackbox`).\n"
            + "# Targets come from the file_sd files beside this one, labelled service, tier and vlan;\n"
            + "# `instance` is the probed target, the exporter is \(YAML.comment(options.exporter)).\n"
            + "scrape_configs:\n"
        if kinds.isEmpty { return out.replacing("scrape_configs:\n", with: "scrape_configs: []\n") }
        for kind in kinds {
            out += "  - job_name: \(YAML.quote("blackbox-" + kind))\n"
            out += "    metrics_path: /probe\n"
            if let interval = options.interval {
                out += "    scrape_interval: \(PromDuration.text(interval))\n"
                out += "    scrape_timeout: \(PromDuration.text(interval))\n"
            }
            out += "    file_sd_configs:\n      - files: [\(YAML.quote(targetsFile(kind)))]\n"
            out += "    relabel_configs:\n"
            out += "      - source_labels: [__address__]\n        target_label: __param_target\n"
            out += "      - source_labels: [__param_target]\n        target_label: instance\n"
            out += "      - target_label: __address__\n        replacement: \(YAML.quote(options.exporter))\n"
        }
        return out
    }

    /// A file_sd file: one group per probe; `__param_module` picks the module.
    static func targetsYML(_ targets: [Target]) -> String {
        var out = "# Generated by labsh (`labsh -m gen blackbox`): one group per service probe.\n"
        for t in targets {
            out += "- targets: [\(YAML.quote(t.address))]\n"
            out += "  labels:\n"
            out += "    service: \(YAML.quote(t.service.name))\n"
            out += "    tier: \"\(t.service.tier)\"\n"
            out += "    vlan: \"\(t.service.vlan)\"\n"
            out += "    __param_module: \(YAML.quote(t.module))\n"
        }
        if targets.isEmpty { out += "[]\n" }
        return out
    }
}
