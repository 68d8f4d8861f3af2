import Homelab
import Testing

/// Three Proxmox nodes behind one switch and gateway, one mains feed, a
/// GPU workstation; three etcd masters, workers, a GPU guest.
private func miniLab() throws -> Inventory {
    func s(_ t: String) -> InventoryValue { .string(t) }
    func i(_ n: Int64) -> InventoryValue { .integer(n) }
    func node(_ name: String, _ kind: String, _ addr: String, ram: String = "16GiB", uplinks: [String],
              cluster: String? = "x", gpu: Bool = false) -> InventoryValue {
        var m: InventoryFields = ["name": s(name), "kind": s(kind), "address": s(addr), "ram": s(ram),
                                  "cpu": .map(["model": s("c"), "cores": i(4), "threads": i(8)]),
                                  "disks": .list([.map(["type": s("nvme"), "size": s("1TB")])]),
                                  "uplinks": .list(uplinks.map(s)), "power": .list([s("mains")])]
        if let cluster { m["cluster"] = s(cluster) }
        if gpu { m["gpus"] = .list([.map(["model": s("RTX")])]) }
        return .map(m)
    }
    func guest(_ name: String, _ node: String, ram: String, role: String, ha: String?, n: Int, tags: [String] = []) -> InventoryValue {
        var m: InventoryFields = ["name": s(name), "kind": s("vm"), "node": s(node), "vcpu": i(2), "ram": s(ram),
                                  "disk": s("40GiB"), "role": s(role), "vlan": i(30), "address": s("192.168.30.\(n)"),
                                  "tags": .list(tags.map(s))]
        if let ha { m["ha_group"] = s(ha) }
        return .map(m)
    }
    var lab = sampleInventory()
    lab["nodes"] = .list([
        node("a", "hypervisor", "192.168.10.11", uplinks: ["sw"]),
        node("b", "hypervisor", "192.168.10.12", uplinks: ["sw"]),
        node("c", "hypervisor", "192.168.10.13", uplinks: ["sw"]),
        node("ws", "workstation", "192.168.10.20", ram: "32GiB", uplinks: ["sw"], cluster: nil, gpu: true),
        node("sw", "switch", "192.168.10.2", uplinks: ["gw"], cluster: nil),
        node("gw", "gateway", "192.168.10.1", uplinks: ["internet"], cluster: nil),
    ])
    lab["guests"] = .list([
        guest("m1", "a", ram: "4GiB", role: "k8s-master", ha: "masters", n: 11),
        guest("m2", "b", ram: "4GiB", role: "k8s-master", ha: "masters", n: 12),
        guest("m3", "c", ram: "4GiB", role: "k8s-master", ha: "masters", n: 13),
        guest("w1", "a", ram: "6GiB", role: "k8s-worker", ha: "workers", n: 21),
        guest("w2", "b", ram: "8GiB", role: "k8s-worker", ha: "workers", n: 22),
        guest("w3", "c", ram: "2GiB", role: "k8s-worker", ha: "workers", n: 23),
        guest("g1", "ws", ram: "16GiB", role: "k8s-gpu-worker", ha: nil, n: 30, tags: ["gpu"]),
    ])
    // Kubernetes is what the inventory's targets say it is
    lab["targets"] = .map(["k8s_servers": .map(["role": s("k8s-master")]),
                           "k8s_agents": .map(["role": .list([s("k8s-worker"), s("k8s-gpu-worker")])])])
    return try Inventory.load(.map(lab), file: "test.lua").0
}

@Suite struct SimulationTests {
    @Test func oneNodeDownKeepsBothQuorumsAndMovesItsWorker() throws {
        let r = try FailureSimulation(try miniLab()).fail(["a"])
        #expect(r.proxmox.map { "\($0.cluster) \($0.alive)/\($0.votes) \($0.needed) \($0.quorate)" } == ["x 2/3 2 true"])
        #expect(r.kubernetes?.etcdQuorum == true)
        #expect(r.kubernetes?.running == 2)
        // w1 (6GiB) goes to c: b has 4+8 of 14 usable GiB, c has 4+2.
        #expect(r.moved.map { "\($0.guest)->\($0.to)" } == ["w1->c"])
        // m1 may not join m2 or m3: the masters' group keeps them apart.
        #expect(r.stranded.map(\.guest) == ["m1"])
        #expect(r.stranded[0].reason.contains("apart"))
        #expect(r.services.isEmpty)
    }

    @Test func twoOfThreeMastersDownLoseEtcdAndProxmoxQuorum() throws {
        let r = try FailureSimulation(try miniLab()).fail(["a", "b"])
        #expect(r.proxmox[0].quorate == false)
        #expect(r.kubernetes?.etcdQuorum == false)
        #expect(r.kubernetes?.running == 0)  // c fences itself, m3 with it
        #expect(r.moved.isEmpty)  // no quorum, no HA
        // c fences itself: it runs HA guests and lost quorum
        #expect(Set(r.stranded.map(\.guest)) == ["m1", "m2", "m3", "w1", "w2", "w3"])
        let api = r.services.first { $0.service == "prometheus" }
        #expect(api?.losesSLO == true)  // tier 1: 24 h > 3.6 h budget
    }

    @Test func firstFitDecreasingRespectsRAMHeadroom() throws {
        var options = FailureSimulation.Options()
        options.ramReserve = 6 << 30  // 10 GiB usable per node
        let r = try FailureSimulation(try miniLab(), options: options).fail(["b"])
        // w2 (8GiB) fits nowhere: a has 10, c has 6 of 10 GiB used.
        #expect(r.stranded.map(\.guest) == ["w2", "m2"])
        #expect(r.stranded[0].reason.contains("RAM"))
    }

    @Test func gpuWorkloadsHaveNowhereToGo() throws {
        let r = try FailureSimulation(try miniLab()).fail(["ws"])
        #expect(r.gpu.map(\.guest) == ["g1"])
        #expect(r.gpu[0].reason == "no surviving node has a GPU")
    }

    @Test func theSwitchIsolatesEveryNode() throws {
        let r = try FailureSimulation(try miniLab()).fail(["sw"])
        #expect(r.proxmox[0].quorate == false)
        #expect(r.proxmox[0].alive == 1)
        #expect(Set(r.isolated).isSuperset(of: ["a", "b", "c", "ws"]))
    }

    @Test func nMinusOneRanksTheSwitchFirst() throws {
        let ranked = FailureSimulation(try miniLab()).nMinusOne()
        #expect(ranked.count == 6)
        #expect(ranked[0].failed == ["sw"])
        #expect(ranked.last!.impact <= ranked.first!.impact)
    }

    @Test func singlePointsComeFromTheTopology() throws {
        let spof = FailureSimulation(try miniLab()).singlePoints()
        #expect(Set(spof.map(\.element)) == ["sw", "gw", "mains", "internet"])
        #expect(spof.first { $0.element == "mains" }?.kind == "power")
        #expect(spof.first { $0.element == "internet" }?.kind == "uplink")
        #expect(spof.first { $0.element == "gw" }?.consequences.contains("no path to the internet") == true)
    }

    @Test func unknownNamesAreErrors() throws {
        #expect(throws: HomelabError.self) { try FailureSimulation(try miniLab()).fail(["nope"]) }
    }

    @Test func fiftyNodesTwoThousandGuests() throws {
        // correctness at size; speed is Benchmarks/sim.sh
        var lab = sampleInventory()
        func s(_ t: String) -> InventoryValue { .string(t) }
        func i(_ n: Int64) -> InventoryValue { .integer(n) }
        lab["nodes"] = .list((1...50).map { n in
            .map(["name": s("n\(n)"), "kind": s("hypervisor"), "cluster": s("big"), "ram": s("256GiB"),
                  "address": s("10.0.\(n / 250).\(n % 250 + 1)"), "cpu": .map(["model": s("x"), "cores": i(32), "threads": i(64)])])
        })
        lab["guests"] = .list((1...2000).map { g in
            .map(["name": s("g\(g)"), "kind": s("vm"), "node": s("n\((g - 1) % 50 + 1)"), "vcpu": i(2),
                  "ram": s("\(2 + g % 5)GiB"), "disk": s("40GB"), "ha_group": s("all"), "vlan": i(30),
                  "address": s("10.1.\(g / 250).\(g % 250 + 1)")])
        })
        lab["services"] = .list([])
        lab["vlans"] = .list([.map(["id": i(30), "name": s("k8s"), "subnet": s("10.1.0.0/16"), "gateway": s("10.1.255.254"),
                                    "zone": s("k8s"), "trust": s("medium")])])
        lab["policy"] = .map(["default": s("deny"), "rules": .list([])])
        let ranked = FailureSimulation(try Inventory.load(.map(lab), file: "big.lua").0).nMinusOne()
        #expect(ranked.count == 50)
        #expect(ranked.allSatisfy { $0.stranded.isEmpty }, "\(ranked[0].stranded.prefix(2))")
        #expect(ranked.allSatisfy { $0.moved.count == 40 }, "\(ranked[0].moved.count)")
    }
}

@Suite struct CapacityTests {
    @Test func fitMatchesTheClosedForm() throws {
        // y = 3 + 2x, intercept at t = 10: value there 23
        let fit = try #require(LinearFit([(0, 3), (1, 5), (2, 7), (3, 9)], at: 10))
        #expect(abs(fit.slope - 2) < 1e-12)
        #expect(abs(fit.intercept - 23) < 1e-12)
        #expect(abs(fit.predict(5) - 33) < 1e-12)
        #expect(fit.secondsUntil(43).map { abs($0 - 10) < 1e-9 } == true)
        // a constant series: slope 0, as predict_linear
        let flat = try #require(LinearFit([(0, 4), (1, 4)], at: 1))
        #expect(flat.slope == 0 && flat.intercept == 4)
        #expect(LinearFit([(0, 1)], at: 0) == nil)
    }

    @Test func growthCompoundsToTheThreshold() {
        // 50% growing 100% a year reaches 100% in 12 months
        #expect(abs(CapacityPlan.monthsUntil(1.0, from: 0.5, yearlyGrowth: 1.0)! - 12) < 1e-9)
        #expect(CapacityPlan.monthsUntil(0.85, from: 0.9, yearlyGrowth: 0.2) == 0)
        #expect(CapacityPlan.monthsUntil(0.85, from: 0.5, yearlyGrowth: 0) == nil)
        #expect(CapacityPlan.bitsPerSecond("2.5GbE") == 2.5e9)
    }

    @Test func planFromTheInventory() throws {
        let plan = CapacityPlan(try miniLab())
        let ram = try #require(plan.resources.first { $0.name == "ram" })
        #expect(ram.installed == Double(80 << 30))  // 3 × 16 + 32
        #expect(ram.allocated == Double(44 << 30))
        #expect(ram.position == "below")
        let cores = try #require(plan.resources.first { $0.name == "cpu_cores" })
        #expect(cores.installed == 16 && cores.allocated == 14)
        let live = CapacityPlan(try miniLab(), used: ["ram": Double(72 << 30)])
        #expect(live.resources.first { $0.name == "ram" }?.basis == "live")
        #expect(live.resources.first { $0.name == "ram" }?.position == "above")
    }
}
