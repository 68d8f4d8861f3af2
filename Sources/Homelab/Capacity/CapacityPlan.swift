import Glibc

/// §5.4 capacity planning from the inventory: per resource what is installed,
/// allocated to guests and (when the caller has live figures) used; where that
/// stands against the target band; and, from the growth projections, the month
/// each resource crosses 85% and 95% and what of the expansion list to buy.
///
/// Rules, stated:
/// - Installed compute, RAM and storage count the nodes that run guests
///   (hypervisors, workstations, servers and single-board computers: the
///   kinds in `guestHosts`). Threads are what vCPUs are scheduled on.
/// - A NAS's disks are storage for others, not guest capacity: they are the
///   resource storage_nas (installed only; used when live figures say so).
/// - Storage per tier: a disk belongs to the tier whose media names its type
///   (nvme → hot, ssd → warm, hdd → cold); a guest's disk is allocated on
///   the tier of its node's largest disk.
/// - Network: the gateway's fastest NIC (everything to and from the internet
///   and between VLANs crosses it). Nothing is allocated on it; without live
///   figures its utilisation is the plan's baseline figure.
/// - Utilisation is used/installed when live, else allocated/installed, else
///   the baseline's usage. Growth compounds monthly from the yearly figure:
///   u(m) = u₀ · (1 + g)^(m/12).
public struct CapacityPlan: Sendable {
    /// The node kinds whose CPU, RAM and disks are guest capacity.
    public static let guestHosts: Set<Inventory.Node.Kind> = [.hypervisor, .workstation, .server, .sbc]

    public struct Resource: Sendable {
        public var name: String
        /// "cores", "threads", "bytes", "bit/s"
        public var unit: String
        /// compute, memory, storage, network: the growth projection it follows.
        public var growthKey: String
        public var installed: Double
        public var allocated: Double?
        public var used: Double?
        /// Where the utilisation figure came from: "live", "allocated", "baseline".
        public var basis: String
        public var utilisation: Double?  // 0...1+
        /// "below", "within", "above" the target band.
        public var position: String?
        public var growth: Double?  // yearly, 0.2 = +20%
        public var months85: Double?
        public var months95: Double?
        public var free: Double? {
            if let u = used { return installed - u }
            if let a = allocated { return installed - a }
            return nil
        }
    }

    public var band: ClosedRange<Double>
    public var resources: [Resource]
    /// The resource that reaches the band's top first, and the expansion item for it.
    public var first: String?
    public var buy: String?
    public var buyPhase: Int?
    public var buyWhen: String?

    /// `used`: live figures by resource name (cpu_cores, cpu_threads, ram,
    /// storage_hot..., network), in the resource's unit.
    public init(_ inv: Inventory, used: [String: Double] = [:]) {
        let compute = inv.nodes.filter { CapacityPlan.guestHosts.contains($0.kind) }
        let cap = inv.capacity
        band = cap.map { ($0.targetBand.lowerBound / 100)...($0.targetBand.upperBound / 100) } ?? 0.70...0.85
        func growth(_ key: String) -> Double? { cap?.growth[key].map { $0 / 100 } }
        func baseline(_ key: String) -> Double? {
            guard let text = cap?.baseline[key]?["usage"], let v = Double(text) else { return nil }
            return v / 100
        }
        var list: [Resource] = []
        let vcpus = Double(inv.guests.reduce(0) { $0 + $1.vcpu })
        list.append(Resource(name: "cpu_cores", unit: "cores", growthKey: "compute",
                             installed: Double(compute.reduce(0) { $0 + ($1.cpu?.cores ?? 0) }),
                             allocated: vcpus, basis: "allocated"))
        list.append(Resource(name: "cpu_threads", unit: "threads", growthKey: "compute",
                             installed: Double(compute.reduce(0) { $0 + ($1.cpu?.threads ?? 0) }),
                             allocated: vcpus, basis: "allocated"))
        list.append(Resource(name: "ram", unit: "bytes", growthKey: "memory",
                             installed: Double(compute.reduce(Int64(0)) { $0 + ($1.ram?.bytes ?? 0) }),
                             allocated: Double(inv.guests.reduce(Int64(0)) { $0 + $1.ram.bytes }), basis: "allocated"))
        // storage tiers
        let tiers = inv.storage.tiers.isEmpty
            ? [Inventory.Storage.Tier(name: "all", media: "nvme/ssd/hdd/emmc/sd", use: "")] : inv.storage.tiers
        func tierOf(_ type: String) -> String? {
            tiers.first { $0.media.split(separator: "/").contains(Substring(type)) }?.name
        }
        var installed: [String: Double] = [:], allocated: [String: Double] = [:]
        var largest: [String: String] = [:]
        for n in compute {
            for d in n.disks { if let t = tierOf(d.type) { installed[t, default: 0] += Double(d.size.bytes) } }
            if let d = n.disks.max(by: { $0.size.bytes < $1.size.bytes }), let t = tierOf(d.type) { largest[n.name] = t }
        }
        for g in inv.guests { if let t = largest[g.node] { allocated[t, default: 0] += Double(g.disk.bytes) } }
        for t in tiers where installed[t.name] != nil {
            list.append(Resource(name: "storage_" + t.name, unit: "bytes", growthKey: "storage",
                                 installed: installed[t.name]!, allocated: allocated[t.name] ?? 0, basis: "allocated"))
        }
        let nas = inv.nodes.filter { $0.kind == .nas }.reduce(Int64(0)) { $0 + $1.storage.bytes }
        if nas > 0 {
            list.append(Resource(name: "storage_nas", unit: "bytes", growthKey: "storage", installed: Double(nas),
                                 allocated: nil, basis: "installed"))
        }
        if let gw = inv.nodes.first(where: { $0.kind == .gateway }),
           let speed = gw.nics.compactMap({ CapacityPlan.bitsPerSecond($0.speed) }).max() {
            list.append(Resource(name: "network", unit: "bit/s", growthKey: "network", installed: speed,
                                 allocated: nil, basis: "baseline"))
        }
        for i in list.indices {
            var r = list[i]
            r.used = used[r.name]
            if let u = r.used { r.basis = "live"; r.utilisation = r.installed > 0 ? u / r.installed : nil }
            else if let a = r.allocated { r.utilisation = r.installed > 0 ? a / r.installed : nil }
            else if r.basis == "baseline" {
                r.utilisation = baseline(r.growthKey == "network" ? "network" : r.growthKey)
            }
            if let u = r.utilisation {
                r.position = u < band.lowerBound ? "below" : u > band.upperBound ? "above" : "within"
                r.growth = growth(r.growthKey)
                if let g = r.growth {
                    r.months85 = CapacityPlan.monthsUntil(0.85, from: u, yearlyGrowth: g)
                    r.months95 = CapacityPlan.monthsUntil(0.95, from: u, yearlyGrowth: g)
                }
            }
            list[i] = r
        }
        resources = list
        let soonest = list.filter { $0.months85 != nil }.min { a, b in
            a.months85! != b.months85! ? a.months85! < b.months85! : a.name < b.name
        }
        first = soonest?.name
        if let s = soonest, let cap {
            let words: [String] = switch s.growthKey {
            case "compute", "memory": ["proxmox node", "node"]
            case "storage": ["storage", "ceph"]
            default: ["10gbe", "switch", "network"]
            }
            outer: for w in words {
                for e in cap.expansion.sorted(by: { $0.phase < $1.phase }) {
                    if let item = e.items.first(where: { $0.lowercased().contains(w) }) {
                        buy = item; buyPhase = e.phase; buyWhen = e.when
                        break outer
                    }
                }
            }
        }
    }

    /// Months until utilisation u grows to `threshold` at yearly growth g
    /// (compounded): 0 when already there, nil when it never gets there.
    public static func monthsUntil(_ threshold: Double, from u: Double, yearlyGrowth g: Double) -> Double? {
        if u >= threshold { return 0 }
        guard u > 0, g > 0 else { return nil }
        return 12 * log(threshold / u) / log(1 + g)
    }

    /// "1GbE", "2.5GbE", "10GbE", "100Mb" -> bits per second.
    public static func bitsPerSecond(_ text: String) -> Double? {
        let lower = text.lowercased()
        for (suffix, scale) in [("gbe", 1e9), ("gb", 1e9), ("g", 1e9), ("mbe", 1e6), ("mb", 1e6), ("m", 1e6)] {
            if lower.hasSuffix(suffix), let v = Double(lower.dropLast(suffix.count)) { return v * scale }
        }
        return nil
    }
}

/// Least-squares line through samples, computed as PromQL's
/// `predict_linear` does (Prometheus promql/functions.go linearRegression):
/// x is seconds relative to the intercept time, sums with Kahan
/// compensation, a constant series has slope 0.
public struct LinearFit: Sendable, Equatable {
    public var slope: Double
    public var intercept: Double
    public var samples: Int

    /// `samples`: (time in seconds, value); `at`: the time the intercept is for
    /// (predict_linear: the evaluation time).
    public init?(_ samples: [(Double, Double)], at: Double) {
        guard samples.count >= 2 else { return nil }
        var n = 0.0
        var sumX = 0.0, cX = 0.0, sumY = 0.0, cY = 0.0, sumXY = 0.0, cXY = 0.0, sumX2 = 0.0, cX2 = 0.0
        let initY = samples[0].1
        var constY = true
        for (i, s) in samples.enumerated() {
            if constY && i > 0 && s.1 != initY { constY = false }
            n += 1
            // Prometheus keeps times in milliseconds: the same rounding here.
            let x = Double(Int64((s.0 * 1000).rounded()) - Int64((at * 1000).rounded())) / 1e3
            (sumX, cX) = LinearFit.kahan(x, sumX, cX)
            (sumY, cY) = LinearFit.kahan(s.1, sumY, cY)
            (sumXY, cXY) = LinearFit.kahan(x * s.1, sumXY, cXY)
            (sumX2, cX2) = LinearFit.kahan(x * x, sumX2, cX2)
        }
        self.samples = samples.count
        if constY {
            if initY.isInfinite { return nil }
            slope = 0; intercept = initY
            return
        }
        sumX += cX; sumY += cY; sumXY += cXY; sumX2 += cX2
        let covXY = sumXY - sumX * sumY / n
        let varX = sumX2 - sumX * sumX / n
        slope = covXY / varX
        intercept = sumY / n - slope * sumX / n
    }

    /// The value `seconds` after the intercept time.
    public func predict(_ seconds: Double) -> Double { intercept + slope * seconds }

    /// When the line reaches `value`, in seconds after the intercept time
    /// (negative: already past), nil if it never does.
    public func secondsUntil(_ value: Double) -> Double? {
        guard slope != 0 else { return nil }
        return (value - intercept) / slope
    }

    static func kahan(_ inc: Double, _ sum: Double, _ c: Double) -> (Double, Double) {
        let t = sum + inc
        var c = c
        if abs(sum) >= abs(inc) { c += (sum - t) + inc } else { c += (inc - t) + sum }
        return (t, c)
    }
}
