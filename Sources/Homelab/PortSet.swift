/// A set of TCP or UDP ports as sorted, disjoint, non-adjacent ranges, so
/// policy evaluation can cut "all ports" into what each rule decides.
struct PortSet: Equatable, Sendable {
    private(set) var ranges: [ClosedRange<Int>]

    static let all = PortSet([1...65535])
    static let none = PortSet([])

    init(_ ranges: [ClosedRange<Int>]) {
        var merged: [ClosedRange<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        self.ranges = merged
    }

    var isEmpty: Bool { ranges.isEmpty }

    func intersection(_ other: PortSet) -> PortSet {
        var result: [ClosedRange<Int>] = []
        var i = 0, j = 0
        while i < ranges.count && j < other.ranges.count {
            let a = ranges[i], b = other.ranges[j]
            let low = max(a.lowerBound, b.lowerBound), high = min(a.upperBound, b.upperBound)
            if low <= high { result.append(low...high) }
            if a.upperBound < b.upperBound { i += 1 } else { j += 1 }
        }
        return PortSet(result)
    }

    func subtracting(_ other: PortSet) -> PortSet {
        var result: [ClosedRange<Int>] = []
        for range in ranges {
            var low = range.lowerBound
            for cut in other.ranges where cut.upperBound >= low && cut.lowerBound <= range.upperBound {
                if cut.lowerBound > low { result.append(low...(cut.lowerBound - 1)) }
                low = cut.upperBound + 1
            }
            if low <= range.upperBound { result.append(low...range.upperBound) }
        }
        return PortSet(result)
    }
}

/// Traffic as the policy sees it: which TCP ports, which UDP ports, and
/// whether ICMP (which has no ports).
struct TrafficSet: Equatable, Sendable {
    var tcp: PortSet
    var udp: PortSet
    var icmp: Bool

    static let everything = TrafficSet(tcp: .all, udp: .all, icmp: true)

    var isEmpty: Bool { tcp.isEmpty && udp.isEmpty && !icmp }

    func intersection(_ other: TrafficSet) -> TrafficSet {
        TrafficSet(tcp: tcp.intersection(other.tcp), udp: udp.intersection(other.udp), icmp: icmp && other.icmp)
    }

    func subtracting(_ other: TrafficSet) -> TrafficSet {
        TrafficSet(tcp: tcp.subtracting(other.tcp), udp: udp.subtracting(other.udp), icmp: icmp && !other.icmp)
    }

    /// The traffic a protocol and an optional port list describe; nil
    /// ports means every port.
    /// ICMP belongs to "any" only when no ports narrow it.
    init(proto: Policy.Proto, ports: PortSet?) {
        let portsOrAll = ports ?? .all
        switch proto {
        case .tcp: self.init(tcp: portsOrAll, udp: .none, icmp: false)
        case .udp: self.init(tcp: .none, udp: portsOrAll, icmp: false)
        case .icmp: self.init(tcp: .none, udp: .none, icmp: true)
        case .any: self.init(tcp: portsOrAll, udp: portsOrAll, icmp: ports == nil)
        }
    }

    init(tcp: PortSet, udp: PortSet, icmp: Bool) {
        self.tcp = tcp
        self.udp = udp
        self.icmp = icmp
    }
}
