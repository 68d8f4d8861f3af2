/// BIND9 zone files for the inventory: the forward zone of the site's domain
/// and a reverse zone for every VLAN subnet and the upstream network.
///
/// What goes where:
/// - Every node and guest: an A (AAAA) record named after it, and the PTR of
///   its address.
/// - The gateway node's address on each VLAN it routes (the VLAN gateway):
///   `<gateway>-<vlan name>` (gw1-k8s), with its PTR, so a traceroute reads.
/// - A service whose endpoint host lies in the domain gets a name:
///   - host is a node's or guest's own name: nothing more (it has its record);
///   - the record follows the service's `vlan` (Inventory.reach(of:)): its
///     own `addresses` (a LoadBalancer or virtual IP) as A records;
///   - else it runs on a node or guest (`runs_on`) with an address on that
///     VLAN: a CNAME to that machine (the gateway's name on that VLAN when
///     the machine is the VLAN's router);
///   - else it runs on a platform (`runs_on = "k8s"`, not a machine): a CNAME
///     to the platform's name, which holds an A record per guest of the
///     platform on the service's VLAN (a guest whose role is the platform or
///     starts with "<platform>-", or that is tagged with it);
///   - otherwise (nothing of it on its VLAN, unknown, or the name taken): a
///     comment says why there is none; never a record on another VLAN.
/// - The name servers (NS; the first is the SOA primary): the DNS service
///   (probe kind "dns", else the service named "dns"). With two or more
///   `addresses` each is a name server: the machine holding the address, or
///   ns1, ns2... with glue A records. Else its endpoint host, which gets
///   address records instead of a CNAME (an NS target must not be a CNAME,
///   RFC 2181 §10.3). Without one, the gateway node, else the first node.
///
/// Output is deterministic: the same inventory and options give the same
/// bytes, so the files diff cleanly and the serial is the only thing to bump.
public enum BindZones {
    public struct Options: Hashable, Sendable {
        /// The SOA serial: 1, or `serial(date:revision:)`.
        public var serial: UInt32
        /// The default TTL ($TTL), seconds.
        public var ttl: Int

        public init(serial: UInt32 = 1, ttl: Int = 3600) {
            self.serial = serial
            self.ttl = ttl
        }
    }

    /// One zone: its name (no trailing dot, as `named.conf` writes it), the
    /// file name (Debian's "db.ZONE") and the file's text.
    public struct ZoneFile: Hashable, Sendable {
        public let zone: String
        public let file: String
        public let text: String
    }

    // SOA timers (seconds): RIPE-203's recommendations for a small zone.
    static let refresh = 3600, retry = 900, expire = 1_209_600, negativeTTL = 300

    /// The serial YYYYMMDDnn for a date written "YYYY-MM-DD" and the day's
    /// revision nn (0-99).
    public static func serial(date: String, revision: Int = 1) throws -> UInt32 {
        let parts = date.split(separator: "-", omittingEmptySubsequences: false)
        let digits = parts.count == 3 && zip(parts, [4, 2, 2]).allSatisfy { part, width in
            part.utf8.count == width && part.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
        guard digits, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else {
            throw HomelabError("'\(date)' is not a date; write YYYY-MM-DD, like 2026-01-15")
        }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else {
            throw HomelabError("'\(date)' is not a day of the calendar")
        }
        guard (0...99).contains(revision) else {
            throw HomelabError("revision \(revision) is out of range 0-99 (the serial's last two digits)")
        }
        let value = ((year * 100 + month) * 100 + day) * 100 + revision
        guard year >= 1970, let serial = UInt32(exactly: value) else {
            throw HomelabError("'\(date)' makes no 32-bit serial YYYYMMDDnn")
        }
        return serial
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The forward zone first, then the reverse zones in address order.
    public static func generate(_ inventory: Inventory, options: Options = Options()) throws -> [ZoneFile] {
        guard options.ttl > 0 && options.ttl <= 2_147_483_647 else {
            throw HomelabError("TTL \(options.ttl) is out of range 1-2147483647 seconds")
        }
        let plan = try ZonePlan(inventory)
        let soa = SOA(primary: plan.fqdn(plan.nameServers[0]), nameServers: plan.nameServers.map(plan.fqdn),
                      contact: "hostmaster." + plan.domain + ".",
                      serial: options.serial)
        var files = [forwardZone(plan, soa: soa, ttl: options.ttl)]
        for reverse in plan.reverseZones() {
            files.append(reverseZone(reverse, plan: plan, soa: soa, ttl: options.ttl))
        }
        return files
    }

    struct SOA {
        let primary: String
        /// The NS records' targets, the primary first.
        let nameServers: [String]
        let contact: String
        let serial: UInt32
    }

    // MARK: - The forward zone

    static func forwardZone(_ plan: ZonePlan, soa: SOA, ttl: Int) -> ZoneFile {
        let zone = plan.domain
        var body = ZoneBody()
        body.section("Nodes")
        for host in plan.hosts where host.source == .node { body.address(host.name, host.address) }
        if plan.hosts.contains(where: { $0.source == .guest }) {
            body.section("Guests")
            for host in plan.hosts where host.source == .guest { body.address(host.name, host.address) }
        }
        if let gateway = plan.gatewayNode, plan.hosts.contains(where: { $0.source == .gatewayInterface }) {
            body.section("\(gateway) on each VLAN it routes (the VLAN's gateway address)")
            for host in plan.hosts where host.source == .gatewayInterface { body.address(host.name, host.address) }
        }
        if plan.hosts.contains(where: { $0.source == .nameServer }) {
            body.section("Name servers (glue: an NS target needs address records)")
            for host in plan.hosts where host.source == .nameServer { body.address(host.name, host.address) }
        }
        for platform in plan.platforms {
            body.section("Platform \(platform.name): its guests; services on it are reached through them")
            for address in platform.addresses.sorted() { body.address(platform.name, address) }
        }
        if !plan.services.isEmpty {
            body.section("Services (from their endpoints)")
            for service in plan.services {
                switch service.record {
                case .cname(let label, let target):
                    body.record(label, "CNAME", target, comment: service.name)
                case .addresses(let label, let addresses, let why):
                    body.comment("\(service.name): \(why)")
                    for address in addresses.sorted() { body.address(label, address) }
                case .stated(let label, let addresses):
                    for address in addresses.sorted() { body.address(label, address, comment: service.name) }
                case .omitted(let why):
                    body.comment("\(service.name): \(why)")
                }
            }
        }
        let header = [
            "Forward zone \(zone) of site \"\(plan.siteName)\".",
            "Generated by labsh (`labsh -m gen bind`) from the inventory: edit the inventory, not this file.",
            "Check: named-checkzone \(zone) db.\(zone)",
        ]
        return ZoneFile(zone: zone, file: "db." + zone,
                        text: render(zone: zone, header: header, soa: soa, ttl: ttl, body: body))
    }

    // MARK: - Reverse zones

    static func reverseZone(_ reverse: ReverseZone, plan: ZonePlan, soa: SOA, ttl: Int) -> ZoneFile {
        var body = ZoneBody()
        let suffix = "." + reverse.zone + "."
        let pointers = plan.hosts
            .filter { $0.address.reversePointer.hasSuffix(suffix) }
            .sorted { $0.address < $1.address }
        if !pointers.isEmpty { body.section("One PTR per address") }
        for host in pointers {
            let pointer = host.address.reversePointer
            body.record(String(pointer.dropLast(suffix.count)), "PTR", plan.fqdn(host.name))
        }
        let header = [
            "Reverse zone \(reverse.zone) for \(reverse.networks.joined(separator: ", ")).",
            "Generated by labsh (`labsh -m gen bind`) from the inventory: edit the inventory, not this file.",
            "Check: named-checkzone \(reverse.zone) db.\(reverse.zone)",
        ]
        return ZoneFile(zone: reverse.zone, file: "db." + reverse.zone,
                        text: render(zone: reverse.zone, header: header, soa: soa, ttl: ttl, body: body))
    }

    // MARK: - Text

    /// Records and comments in order; rendered with aligned columns.
    struct ZoneBody {
        enum Line {
            case record(owner: String, type: String, data: String, comment: String?)
            case comment(String)
            case blank
        }
        var lines: [Line] = []

        mutating func section(_ title: String) {
            lines.append(.blank)
            lines.append(.comment(title))
        }

        mutating func comment(_ text: String) { lines.append(.comment(text)) }

        mutating func record(_ owner: String, _ type: String, _ data: String, comment: String? = nil) {
            lines.append(.record(owner: owner, type: type, data: data, comment: comment))
        }

        mutating func address(_ owner: String, _ address: IPAddress, comment: String? = nil) {
            record(owner, address.family == .v4 ? "A" : "AAAA", address.description, comment: comment)
        }

        /// Inventory text as a comment that cannot end its line: control
        /// characters are shown escaped (the loader refuses them anyway).
        static func commentText(_ text: String) -> String { InventoryText.visible(text) }
    }

    static func render(zone: String, header: [String], soa: SOA, ttl: Int, body: ZoneBody) -> String {
        var owners = ["@"]
        for case .record(let owner, _, _, _) in body.lines { owners.append(owner) }
        let width = min(owners.map(\.count).max() ?? 1, 30)
        func line(_ owner: String, _ type: String, _ data: String) -> String {
            pad(owner, width) + " IN " + pad(type, 5) + " " + data
        }
        var out = header.map { "; " + ZoneBody.commentText($0) }
        out.append("$ORIGIN \(zone).")
        out.append("$TTL \(ttl)")
        let indent = String(repeating: " ", count: width + 10)
        out.append(line("@", "SOA", "\(soa.primary) \(soa.contact) ("))
        out.append(indent + pad("\(soa.serial)", 10) + " ; serial")
        out.append(indent + pad("\(refresh)", 10) + " ; refresh")
        out.append(indent + pad("\(retry)", 10) + " ; retry")
        out.append(indent + pad("\(expire)", 10) + " ; expire")
        out.append(indent + pad("\(negativeTTL) )", 10) + " ; negative-answer TTL")
        for nameServer in soa.nameServers { out.append(line("@", "NS", nameServer)) }
        for item in body.lines {
            switch item {
            case .record(let owner, let type, let data, let comment):
                out.append(line(owner, type, data) + (comment.map { " ; " + ZoneBody.commentText($0) } ?? ""))
            case .comment(let text):
                out.append("; " + ZoneBody.commentText(text))
            case .blank:
                out.append("")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

// MARK: - What the zones hold, derived from the inventory

extension BindZones {
    /// A name with an address: it gets an A/AAAA record and a PTR.
    struct Host {
        enum Source { case node, guest, gatewayInterface, nameServer }
        let name: String
        let address: IPAddress
        let source: Source
    }

    struct Platform {
        let name: String
        let addresses: [IPAddress]
    }

    struct ServiceName {
        enum Record {
            case cname(label: String, target: String)
            case addresses(label: String, [IPAddress], why: String)
            /// Its own `addresses`, on its VLAN.
            case stated(label: String, [IPAddress])
            case omitted(why: String)
        }
        let name: String
        let record: Record
    }

    struct ReverseZone {
        let zone: String
        /// The networks it covers, described: "192.168.10.0/24 (VLAN 10 management)".
        var networks: [String]
    }

    struct ZonePlan {
        let domain: String
        let siteName: String
        let inventory: Inventory
        private(set) var hosts: [Host] = []
        private(set) var platforms: [Platform] = []
        private(set) var services: [ServiceName] = []
        /// The NS targets' labels, the primary first.
        private(set) var nameServers: [String] = []
        private(set) var gatewayNode: String?
        /// The DNS service's own label when it holds address records (it is
        /// a name server, or names them all), and those addresses.
        private var dnsLabel: String?
        private var nsAddresses: [IPAddress] = []
        /// Every owner name used so far, and what it names.
        private var taken: [String: String] = [:]

        init(_ inventory: Inventory) throws {
            var domain = inventory.site.domain.lowercased()
            if domain.hasSuffix(".") { domain.removeLast() }
            try Self.checkName(domain, what: "site.domain")
            self.domain = domain
            siteName = inventory.site.name
            self.inventory = inventory
            for node in inventory.nodes { try addHost(node.name, node.address, .node, what: "node \(node.name)") }
            for guest in inventory.guests { try addHost(guest.name, guest.address, .guest, what: "guest \(guest.name)") }
            addGatewayInterfaces()
            try chooseNameServer()
            try addServices()
        }

        func fqdn(_ label: String) -> String { label + "." + domain + "." }

        /// A machine's name in the zone: "web1.riverside.lan" in riverside.lan
        /// is the label "web1", so that its records (and a name server's)
        /// do not get the domain a second time.
        func label(of name: String) -> String {
            var label = name.lowercased()
            if label.hasSuffix("." + domain) { label.removeLast(domain.count + 1) }
            return label
        }

        private mutating func addHost(_ name: String, _ address: IPAddress, _ source: Host.Source, what: String) throws {
            try Self.checkName(name, what: what)
            let label = label(of: name)
            hosts.append(Host(name: label, address: address, source: source))
            taken[label] = what
        }

        private mutating func addGatewayInterfaces() {
            guard let gateway = inventory.nodes.first(where: { $0.kind == .gateway }) else { return }
            gatewayNode = gateway.name
            let used = Set(hosts.map(\.address))
            for vlan in inventory.vlans where gateway.vlans.isEmpty || gateway.vlans.contains(vlan.id) {
                guard !used.contains(vlan.gateway) else { continue }
                let suffix = (try? Self.checkName(vlan.name, what: "")) != nil ? vlan.name.lowercased() : "vlan\(vlan.id)"
                let name = label(of: gateway.name) + "-" + suffix
                guard taken[name] == nil, (try? Self.checkName(name, what: "")) != nil else { continue }
                hosts.append(Host(name: name, address: vlan.gateway, source: .gatewayInterface))
                taken[name] = "\(gateway.name) on VLAN \(vlan.id)"
            }
        }

        /// The in-domain label of an endpoint ("https://a.homelab.local:8443/x"
        /// → "a"), or why it has none.
        func endpointLabel(_ endpoint: String?) -> Result<String, ReasonText> {
            guard let endpoint, !endpoint.isEmpty else { return .failure(ReasonText("no endpoint, no record")) }
            var rest = Substring(endpoint)
            if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
            if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
            if rest.hasPrefix("[") { return .failure(ReasonText("endpoint \(endpoint) is an address, no record")) }
            if let colon = rest.lastIndex(of: ":") { rest = rest[..<colon] }
            var host = rest.lowercased()
            if host.hasSuffix(".") { host.removeLast() }
            if (try? IPv4Address(parsing: host)) != nil {
                return .failure(ReasonText("endpoint \(endpoint) is an address, no record"))
            }
            if host == domain {
                return .failure(ReasonText("endpoint \(endpoint) is the zone's apex, which a service cannot own"))
            }
            guard host.hasSuffix("." + domain) else {
                return .failure(ReasonText("endpoint \(endpoint) is outside \(domain), no record"))
            }
            return .success(String(host.dropLast(domain.count + 1)))
        }

        private mutating func chooseNameServer() throws {
            let services = inventory.services
            let dns = services.first { $0.probe?.kind == "dns" } ?? services.first { $0.name == "dns" }
            if let dns, case .success(let label) = endpointLabel(dns.endpoint) {
                try Self.checkName(label, what: "service '\(dns.name)' endpoint")
                if hosts.contains(where: { $0.name == label }) {
                    nameServers = [label]  // a machine's own name: its address record is there
                    return
                }
                switch inventory.reach(of: dns) {
                case .addresses(let addresses) where addresses.count > 1:
                    try addNameServers(addresses, of: dns.name, label: label)
                    (dnsLabel, nsAddresses) = (label, addresses)
                    return
                case .addresses(let addresses), .platform(_, let addresses):
                    (nameServers, dnsLabel, nsAddresses) = ([label], label, addresses)
                    return
                case .machine(_, let address):
                    (nameServers, dnsLabel, nsAddresses) = ([label], label, [address])
                    return
                case .unplaced, .offVLAN:
                    break
                }
            }
            if let gateway = gatewayNode {
                nameServers = [label(of: gateway)]
            } else if let first = inventory.nodes.first {
                nameServers = [label(of: first.name)]
            } else {
                throw HomelabError("no name server for \(domain): the inventory has no DNS service and no node")
            }
        }

        /// One name server per address, the first the primary: the machine
        /// that holds the address, else ns1, ns2... (or LABEL-ns1 when taken).
        private mutating func addNameServers(_ addresses: [IPAddress], of service: String, label: String) throws {
            for (n, address) in addresses.enumerated() {
                if let host = hosts.first(where: { $0.address == address && $0.source != .gatewayInterface }) {
                    if !nameServers.contains(host.name) { nameServers.append(host.name) }
                    continue
                }
                guard let name = ["ns\(n + 1)", "\(label)-ns\(n + 1)"].first(where: { taken[$0] == nil }) else {
                    throw HomelabError("no free name for name server \(n + 1) of service '\(service)' "
                        + "(ns\(n + 1) and \(label)-ns\(n + 1) are taken)")
                }
                hosts.append(Host(name: name, address: address, source: .nameServer))
                taken[name] = "name server \(n + 1) of service \(service)"
                nameServers.append(name)
            }
        }

        /// The record a service's label gets: where the model says it is
        /// reached (Inventory.reach(of:)), never an address on another VLAN.
        private mutating func record(for service: Inventory.Service, label: String,
                                     platforms: inout [(label: String, addresses: [IPAddress])]) -> ServiceName.Record {
            switch inventory.reach(of: service) {
            case .addresses(let addresses):
                return .stated(label: label, addresses)
            case .machine(let machine, let address):
                // the machine's own record, or its name on the VLAN it routes
                guard let host = hosts.first(where: { $0.address == address && $0.source != .nameServer }) else {
                    return .omitted(why: "runs on \(machine), whose name for \(address) is taken: no record")
                }
                return .cname(label: label, target: host.name)
            case .platform(let platform, let addresses):
                let vlanName = inventory.vlan(id: service.vlan).map(\.name) ?? ""
                let suffix = (try? Self.checkName(vlanName, what: "")) != nil ? vlanName.lowercased() : "vlan\(service.vlan)"
                // one name per platform and address set: "k8s", else "k8s-ops"
                let name = platform.lowercased()
                for candidate in [name, name + "-" + suffix] {
                    if let known = platforms.first(where: { $0.label == candidate }) {
                        if Set(known.addresses) == Set(addresses) { return .cname(label: label, target: candidate) }
                        continue
                    }
                    guard taken[candidate] == nil, (try? Self.checkName(candidate, what: "")) != nil else { continue }
                    platforms.append((candidate, addresses))
                    taken[candidate] = "platform \(platform)"
                    return .cname(label: label, target: candidate)
                }
                return .omitted(why: "runs on \(platform), but that name is already \(taken[name] ?? "taken")")
            case .unplaced:
                return .omitted(why: "runs on '\(service.runsOn)', which is no node, guest or platform with addresses: no record")
            case .offVLAN(let why):
                return .omitted(why: "\(why): no record (state its addresses on VLAN \(service.vlan))")
            }
        }

        private mutating func addServices() throws {
            var platformRecords: [(label: String, addresses: [IPAddress])] = []
            for service in inventory.services {
                let label: String
                switch endpointLabel(service.endpoint) {
                case .failure(let why):
                    services.append(ServiceName(name: service.name, record: .omitted(why: why.text)))
                    continue
                case .success(let l):
                    label = l
                }
                try Self.checkName(label, what: "service '\(service.name)' endpoint")
                if let owner = taken[label] {
                    var why = hosts.contains(where: { $0.name == label && $0.source != .gatewayInterface })
                        ? "\(label) is \(owner) itself, named above" : "\(label) is already \(owner): no record"
                    // the machine's own name may be off the service's VLAN: say its name there
                    if case .machine(_, let address) = inventory.reach(of: service),
                       let own = hosts.first(where: { $0.name == label }), own.address != address,
                       let there = hosts.first(where: { $0.address == address }) {
                        why += "; on VLAN \(service.vlan) it is \(there.name)"
                    }
                    services.append(ServiceName(name: service.name, record: .omitted(why: why)))
                    continue
                }
                if label == dnsLabel {
                    let why = nameServers == [label]
                        ? "\(label) is the name server: address records (an NS target must not be a CNAME)"
                        : "the name service: the addresses of its name servers \(nameServers.joined(separator: ", "))"
                    services.append(ServiceName(name: service.name, record: .addresses(label: label, nsAddresses, why: why)))
                    taken[label] = "service \(service.name)"
                    continue
                }
                let record = record(for: service, label: label, platforms: &platformRecords)
                services.append(ServiceName(name: service.name, record: record))
                if case .omitted = record { continue }
                taken[label] = "service \(service.name)"
            }
            platforms = platformRecords.map { Platform(name: $0.label, addresses: $0.addresses) }
        }

        /// The reverse zones of the VLAN subnets and the upstream network,
        /// in address order, each once.
        func reverseZones() -> [ReverseZone] {
            var networks: [(IPNetwork, String)] = inventory.vlans.map {
                ($0.subnet, "\($0.subnet) (VLAN \($0.id) \($0.name))")
            }
            if let upstream = inventory.site.upstream { networks.append((upstream, "\(upstream) (upstream)")) }
            networks.sort { $0.0 < $1.0 }
            var zones: [ReverseZone] = []
            for (network, description) in networks {
                for zone in network.reverseZones {
                    if let i = zones.firstIndex(where: { $0.zone == zone }) {
                        if !zones[i].networks.contains(description) { zones[i].networks.append(description) }
                    } else {
                        zones.append(ReverseZone(zone: zone, networks: [description]))
                    }
                }
            }
            return zones
        }

        /// A host name: dot-separated labels of letters, digits and inner
        /// hyphens, 1-63 characters each (RFC 1123), 253 in all.
        static func checkName(_ name: String, what: String) throws {
            if !InventoryText.isHostName(name) {
                throw HomelabError("\(what): '\(InventoryText.visible(name))' is not a DNS name "
                    + "(labels of letters, digits and inner '-', 1-63 characters each)")
            }
        }
    }
}
