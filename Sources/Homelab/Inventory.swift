/// The homelab as an inventory describes it, validated. Plain values: the
/// Lua bindings and the checks read them; nothing here talks to a system.
public struct Inventory: Sendable {
    public var site: Site
    public var nodes: [Node]
    public var guests: [Guest]
    public var vlans: [Vlan]
    public var policy: Policy
    public var policyDefault: Policy.Action
    public var storage: Storage
    public var services: [Service]
    public var backups: [Backup]
    public var alerts: [Alert]
    public var capacity: Capacity?
    public var maintenance: [Window]
    public var recovery: [Recovery]
    public var monitoring: Monitoring
    /// Where alerts go: receivers and the route per severity (Alerts/).
    public var alerting: Alerting = Alerting()
    /// How labsh reaches hosts over SSH by default (nil: it does not).
    public var ssh: SSHAccess? = nil
    /// Named host selections that playbooks and the simulation act on
    /// (`targets` in the inventory): "hypervisors", "linux", "k8s_servers"...
    public var targets: [String: Target] = [:]
    /// Proxmox HA groups with the nodes each may run on (`ha_groups`).
    public var haGroups: [HAGroup] = []
    /// The zone pairs the report checks (`policy.boundaries`); empty: the
    /// deny rules between trust levels stand for them.
    public var boundaries: [Boundary] = []
    /// The Proxmox VE cluster's API (`proxmox`), nil when not configured.
    public var proxmox: ProxmoxConfig? = nil
    /// The homelab's plan in phases (`roadmap`), in order; empty when not given.
    public var roadmap: [Phase] = []

    /// A phase of the roadmap: where the homelab stands on it.
    public struct Phase: Sendable, Equatable {
        public var number: Int
        public var name: String
        /// "done", "current" or "planned".
        public var status: String
        public var items: [String]
    }

    public struct Boundary: Sendable, Equatable {
        public var from: String
        public var to: String
        public var expect: Policy.Action
        public var why: String?
    }

    /// A selection of nodes and guests: each listed field must match (a
    /// list: any of its values); an empty selection picks nothing.
    public struct Target: Sendable, Equatable {
        public var roles: [String] = []
        public var kinds: [String] = []
        public var tags: [String] = []
        public var isEmpty: Bool { roles.isEmpty && kinds.isEmpty && tags.isEmpty }

        /// Whether a host with this role, kind and tags is selected.
        public func matches(role: String?, kind: String, tags hostTags: [String]) -> Bool {
            if isEmpty { return false }
            if !roles.isEmpty, !(role.map(roles.contains) ?? false) { return false }
            if !kinds.isEmpty, !kinds.contains(kind) { return false }
            if !tags.isEmpty, !tags.contains(where: hostTags.contains) { return false }
            return true
        }
    }

    /// A Proxmox HA group (PVE 9: an HA rule): the nodes its guests may run
    /// on, higher priority first.
    public struct HAGroup: Sendable, Equatable {
        public struct Member: Sendable, Equatable {
            public var node: String
            public var priority: Int
        }
        public var name: String
        public var nodes: [Member]
    }

    /// The guests a target names (empty when the inventory has no such target).
    public func guests(in target: String) -> [Int] {
        guard let t = targets[target] else { return [] }
        return guests.indices.filter { t.matches(role: guests[$0].role, kind: guests[$0].kind, tags: guests[$0].tags) }
    }

    public struct Site: Sendable {
        public var name: String
        public var domain: String
        public var timezone: String
        /// The network outside the VLANs (the ISP side), if any.
        public var upstream: IPNetwork?
    }

    public struct Node: Sendable {
        public enum Kind: String, Sendable, CaseIterable {
            case hypervisor, workstation, server, nas, sbc, gateway, `switch`, router
        }
        public var name: String
        public var kind: Kind
        public var vendor: String?
        public var model: String?
        public var os: String?
        public var cpu: Cpu?
        public var ram: ByteSize?
        public var disks: [Disk]
        public var gpus: [Gpu]
        public var nics: [Nic]
        public var role: String?
        public var cluster: String?
        public var address: IPAddress
        public var vlans: [Int]
        public var tags: [String]
        public var notes: String?
        /// Topology: the devices this node connects through toward the core
        /// and the internet (node names, or "internet"); two or more is a
        /// redundant uplink. Empty: not declared.
        public var uplinks: [String] = []
        /// The power feeds (circuits, UPSes) the node draws from; any one keeps
        /// it running. Empty: not declared.
        public var power: [String] = []
        /// This node's SSH settings over the inventory's defaults.
        public var ssh: SSHAccess? = nil
        /// Its fields that are assumptions, not facts (`assumed`).
        public var assumed: [String] = []

        /// Total disk capacity.
        public var storage: ByteSize { ByteSize(bytes: disks.reduce(0) { $0 + $1.size.bytes }) }
    }

    public struct Cpu: Sendable {
        public var model: String
        public var cores: Int
        public var threads: Int
    }

    public struct Disk: Sendable {
        public var type: String
        public var size: ByteSize
    }

    public struct Gpu: Sendable {
        public var model: String
        public var vram: ByteSize?
        public var purpose: String?
    }

    public struct Nic: Sendable {
        public var name: String?
        public var speed: String
        public var count: Int
    }

    public struct Guest: Sendable {
        public var name: String
        public var kind: String
        public var node: String
        public var vcpu: Int
        public var ram: ByteSize
        public var disk: ByteSize
        public var role: String?
        public var haGroup: String?
        public var vlan: Int
        public var address: IPAddress
        public var tags: [String]
        public var ssh: SSHAccess? = nil
        /// Its Proxmox VMID; without one, lab.pve matches the guest by name.
        public var vmid: Int? = nil
        /// Its fields that are assumptions, not facts (`assumed`).
        public var assumed: [String] = []
    }

    public struct Vlan: Sendable {
        public var id: Int
        public var name: String
        public var subnet: IPNetwork
        public var gateway: IPAddress
        public var purpose: String?
        public var zone: String
        public var trust: String
        /// Reached from the internet (a DMZ): its services are public.
        public var isPublic: Bool = false
    }

    public struct Storage: Sendable {
        public struct Class: Sendable {
            public var name: String
            public var kind: String
            public var status: String
            public var notes: String?
        }
        public struct Tier: Sendable {
            public var name: String
            public var media: String
            public var use: String
        }
        /// Where copies of data live, for the 3-2-1 rule.
        public struct Location: Sendable {
            public var name: String
            public var medium: String
            public var offsite: Bool
            /// "pbs" when retention there is Proxmox Backup Server's prune.
            public var prune: String?
            public var description: String?
        }
        public var locations: [Location] = []
        public var classes: [Class] = []
        public var tiers: [Tier] = []
    }

    public struct Service: Sendable {
        public var name: String
        public var tier: Int
        public var runsOn: String
        public var vlan: Int
        public var endpoint: String?
        public var probe: Probe?
        public var slo: AvailabilityTarget
        public var phase: Int
        public var technology: String?
        /// Its own addresses on its VLAN (a LoadBalancer or virtual IP, one
        /// per instance); empty: reached through what it runs on.
        public var addresses: [IPAddress] = []
    }

    public struct Probe: Sendable {
        public var kind: String
        public var target: String
        public var expect: String?
    }

    public struct Backup: Sendable {
        public var name: String
        public var resource: String
        public var schedule: String
        public var retention: Duration
        public var keep: [String: Int]
        public var target: String
        public var rpo: Duration?
        /// The recovery tier whose RPO it must meet when `rpo` is not given.
        public var tier: Int?
        /// Every storage location holding a copy, the live data included.
        public var copies: [String]
        /// How late a run may finish before it counts as missed.
        public var grace: Duration?
    }

    public struct Alert: Sendable {
        public var name: String
        public var severity: String
        public var expr: String?
        public var check: String?
        public var holdFor: Duration?
        public var summary: String
        public var runbook: String?
        public var labels: [String: String] = [:]
        public var annotations: [String: String] = [:]
        public var model: AlertModelThreshold? = nil
    }

    public struct Capacity: Sendable {
        public var targetBand: ClosedRange<Double>
        public var growth: [String: Double]
        /// The plan's own figures, kept as written to compare with totals.
        public var baseline: [String: [String: String]]
        /// Totals the plan states (per node kind or "all"), as written.
        public var stated: [String: [String: String]]
        public var expansion: [Expansion]
    }

    public struct Expansion: Sendable {
        public var phase: Int
        public var when: String
        public var items: [String]
    }

    public struct Window: Sendable {
        public var name: String
        public var schedule: String?
        public var duration: Duration?
        public var notes: String?
    }

    public struct Recovery: Sendable {
        public var tier: Int
        public var rto: Duration
        public var rpo: Duration
    }

    public struct Monitoring: Sendable {
        public var prometheus: MonitoringEndpoint?
        public var alertmanager: MonitoringEndpoint?
        public var pushgateway: MonitoringEndpoint?
        /// node_exporter's textfile collector directory on this host.
        public var textfileDirectory: String?
    }
}
