import Connectors
import Glibc

/// LABSH_CAPABILITY_TRACE=FILE: every capability a script declares, each
/// declared entry that allowed a target and every refusal, appended to FILE
/// as JSON lines. manifests_spec reads it to hold each shipped manifest to
/// "no more and no less than it uses". One line per distinct event:
///
///   {"event":"manifest","script":"slo"}
///   {"event":"declared","kind":"net","entry":"monitoring:prometheus","resolved":"127.0.0.1:9090","script":"slo"}
///   {"event":"used","kind":"net","entry":"monitoring:prometheus","target":"127.0.0.1:9090","script":"slo"}
///   {"event":"refused","kind":"commands","target":"curl","reason":"not in requires.commands; ...","script":"slo"}
///
/// `resolved` lists what a selector named when it was declared, joined by
/// " " (empty: nothing in this inventory or on this command line).
extension Capabilities {
    /// Set when the script declares and the variable names a file.
    nonisolated(unsafe) static var tracePath: String?
    nonisolated(unsafe) private static var traced: Set<String> = []

    static func startTrace() {
        guard let value = getenv("LABSH_CAPABILITY_TRACE"), value.pointee != 0 else { return }
        tracePath = String(cString: value)
    }

    /// The declaration: each entry as written, and what it resolved to.
    func traceDeclared(_ entries: CapabilityLists, _ mutation: Bool) {
        guard Capabilities.tracePath != nil else { return }
        trace("manifest")
        entries.forEach { kind, list in
            for entry in list {
                let resolved = declaredSources.filter { $0.kind == kind && $0.entry == entry }.map(\.pattern).sorted()
                trace("declared", kind: kind.name, entry: entry, resolved: resolved.joined(separator: " "))
            }
        }
        if mutation { trace("declared", kind: "mutation", entry: "true") }
    }

    /// `pattern` (a resolved one) allowed `target`: each entry it came from is used.
    func traceUse(_ kind: CapabilityKind, _ pattern: String, _ target: String) {
        let sources = declaredSources.filter { $0.kind == kind && $0.pattern == pattern }.map(\.entry)
        for entry in sources.isEmpty ? [pattern] : sources {
            trace("used", kind: kind.name, entry: entry, target: Capabilities.printable(target))
        }
    }

    func traceRefusal(_ kind: String, _ target: String, _ why: String) {
        guard Capabilities.tracePath != nil else { return }
        trace("refused", kind: kind, target: Capabilities.printable(target), reason: why)
    }

    /// One line: its fields (those given) with keys in the order of their names.
    private func trace(_ event: String, kind: String? = nil, entry: String? = nil, resolved: String? = nil,
                       target: String? = nil, reason: String? = nil) {
        guard let path = Capabilities.tracePath else { return }
        var w = JSONWriter()
        w.beginObject()
        try? w.member("entry", entry)
        try? w.member("event", event)
        try? w.member("kind", kind)
        try? w.member("reason", reason)
        try? w.member("resolved", resolved)
        try? w.member("script", script)
        try? w.member("target", target)
        w.endObject()
        let line = w.bytes + [0x0A]
        guard Capabilities.traced.insert(String(decoding: line, as: UTF8.self)).inserted else { return }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            fputs("labsh: warning: capability trace not written to \(path): \(String(cString: strerror(errno)))\n", stderr)
            return
        }
        defer { close(fd) }
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
