/// The kinds of capability a manifest, a grants file and --grant name
/// (issue 20). They are a closed set, so each kind's patterns live in a
/// field of their own (CapabilityLists) instead of under a String key: the
/// first String-keyed Dictionary a run makes costs more than a library
/// script's whole declaration.
public enum CapabilityKind: UInt8 {
    // in the order of their names: lists are described in this order
    case commands, filesRead, filesWrite, hosts, mutation, net, proxmox, secrets

    /// The kind a manifest calls `name` ("files.read"), nil for none.
    public init?(_ name: String) {
        switch name {
        case "commands": self = .commands
        case "files.read": self = .filesRead
        case "files.write": self = .filesWrite
        case "hosts": self = .hosts
        case "mutation": self = .mutation
        case "net": self = .net
        case "proxmox": self = .proxmox
        case "secrets": self = .secrets
        default: return nil
        }
    }

    /// The kind as a manifest names it.
    public var name: String {
        switch self {
        case .commands: return "commands"
        case .filesRead: return "files.read"
        case .filesWrite: return "files.write"
        case .hosts: return "hosts"
        case .mutation: return "mutation"
        case .net: return "net"
        case .proxmox: return "proxmox"
        case .secrets: return "secrets"
        }
    }

    /// Every kind, in the order of their names (walked by raw value: an
    /// array of kinds would be one more generic type to set up at start).
    static func forEach(_ body: (CapabilityKind) throws -> Void) rethrows {
        var raw: UInt8 = 0
        while let kind = CapabilityKind(rawValue: raw) {
            try body(kind)
            raw += 1
        }
    }
}

/// A set of kinds, one bit each: what a script dropped, what a list names.
struct CapabilityKindSet {
    private var bits: UInt16 = 0

    var isEmpty: Bool { bits == 0 }

    func contains(_ kind: CapabilityKind) -> Bool { bits & (1 << kind.rawValue) != 0 }

    mutating func insert(_ kind: CapabilityKind) { bits |= (1 << kind.rawValue) }
}

/// A manifest's `requires`, or a section of a grants file, as written:
/// lists by kind and the mutation flag. (A struct, not a tuple: a tuple
/// type is one more to set up at run time.)
struct CapabilityTable {
    var lists = CapabilityLists()
    var mutation = false
}

/// Patterns by kind: what a manifest requires, what an operator grants or
/// denies. A kind given with an empty list is still given: the audit line
/// says "net=" for `net = {}`, as written.
struct CapabilityLists {
    private var commands: [String] = []
    private var filesRead: [String] = []
    private var filesWrite: [String] = []
    private var hosts: [String] = []
    private var mutation: [String] = []  // a deny of mutation: ["*"]
    private var net: [String] = []
    private var proxmox: [String] = []
    private var secrets: [String] = []
    /// The kinds given at all.
    private(set) var given = CapabilityKindSet()

    init() {}

    /// Nothing given, not even an empty list.
    var isEmpty: Bool { given.isEmpty }

    /// The patterns of `kind` (none when it was not given); setting them gives it.
    subscript(kind: CapabilityKind) -> [String] {
        get {
            switch kind {
            case .commands: return commands
            case .filesRead: return filesRead
            case .filesWrite: return filesWrite
            case .hosts: return hosts
            case .mutation: return mutation
            case .net: return net
            case .proxmox: return proxmox
            case .secrets: return secrets
            }
        }
        set {
            given.insert(kind)
            switch kind {
            case .commands: commands = newValue
            case .filesRead: filesRead = newValue
            case .filesWrite: filesWrite = newValue
            case .hosts: hosts = newValue
            case .mutation: mutation = newValue
            case .net: net = newValue
            case .proxmox: proxmox = newValue
            case .secrets: secrets = newValue
            }
        }
    }

    /// Each kind given, in the order of their names, with its patterns.
    func forEach(_ body: (CapabilityKind, [String]) throws -> Void) rethrows {
        try CapabilityKind.forEach { kind in
            if given.contains(kind) { try body(kind, self[kind]) }
        }
    }

    /// `other`'s patterns after these, kind by kind (a grants file's "*"
    /// section after the script's own).
    mutating func append(_ other: CapabilityLists) {
        other.forEach { kind, patterns in self[kind] += patterns }
    }
}
