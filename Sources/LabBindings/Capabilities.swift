import CLua
import CLuaShim
import Connectors
import Glibc
import LuaHost

/// What a script run under a manifest (`labsh.script { requires = ... }`,
/// issue 20) may touch: what it declares, intersected with what an operator
/// grants for a library script, minus what an operator denies and what the
/// script dropped. The Swift functions that perform each effect ask here
/// first; with no manifest (`active` nil) nothing is checked.
public final class Capabilities {
    nonisolated(unsafe) public static var active: Capabilities?

    /// The kinds a manifest lists; `mutation` is a flag of its own.
    public static let kinds = ["hosts", "net", "commands", "secrets", "files.read", "files.write", "proxmox"]

    public let script: String
    public private(set) var version = ""
    /// The library the script comes from (its name); nil for an operator's
    /// own script, whose declaration is all that limits it.
    public private(set) var library: String?
    let file: String
    private(set) var declared = CapabilityLists()
    /// The manifest's entry each declared pattern came from (a selector
    /// resolves to patterns: CapabilitySelectors.swift); kept only for
    /// LABSH_CAPABILITY_TRACE.
    private(set) var declaredSources: [DeclaredSource] = []
    private(set) var mutationDeclared = false
    /// A library script is limited by its grants too; an operator's own
    /// script by its declaration alone.
    public let isLibraryScript: Bool
    /// What an operator grants a library script (its grants file, --grant).
    private(set) var granted = CapabilityLists()
    private(set) var grantsMutation = false
    private(set) var denied = CapabilityLists()
    /// Reads a library's grants when the script declares something: a
    /// script that requires nothing starts without reading them.
    var loadGrants: (() throws -> Grants)?

    public struct Grants {
        var library: String
        var granted: CapabilityLists
        var mutation: Bool
        /// what is denied; a denied mutation is `denied[.mutation] == ["*"]`
        var denied: CapabilityLists
    }
    private(set) var dropped = CapabilityKindSet()
    private(set) var isDeclared = false
    /// labsh's own directories (the state directory): written only by labsh's
    /// own code, never by a script, whatever it declares.
    private var ownDirectoriesGiven: [String]
    /// Resolved on the first write checked: most runs never need them.
    private(set) lazy var ownDirectories: [String] = ownDirectoriesGiven.map(Capabilities.resolved)

    /// A script about to run, granted nothing yet.
    public init(script: String, file: String, isLibraryScript: Bool, ownDirectories: [String]) {
        self.script = script
        self.file = file
        self.isLibraryScript = isLibraryScript
        self.ownDirectoriesGiven = ownDirectories
    }

    /// Starts checking: from now on until labsh ends, a refused effect is an
    /// error. The standard functions that reach outside get their guards
    /// now, so a run without a manifest keeps Lua's own functions untouched.
    /// `fresh`: no Lua code has run in L yet.
    public static func begin(_ capabilities: Capabilities, _ L: OpaquePointer, fresh: Bool = false) {
        active = capabilities
        CapabilityGuards.install(L, fresh: fresh)
        lh_activate_guards()
    }

    /// The script's declaration; once only, so a script cannot widen it.
    func declare(version: String, requires: CapabilityLists, mutation: Bool,
                 selectors context: SelectorContext = SelectorContext()) throws {
        guard !isDeclared else { throw LuaRaise.message("labsh.script: capabilities are declared once per run") }
        if let load = loadGrants, !requires.isEmpty || mutation {
            let grants = try load()
            (library, granted, grantsMutation, denied) = (grants.library, grants.granted, grants.mutation, grants.denied)
        }
        loadGrants = nil
        self.version = version
        Capabilities.startTrace()
        (declared, declaredSources) = try Capabilities.resolve(requires, context, "requires",
                                                               keepSources: Capabilities.tracePath != nil)
        mutationDeclared = mutation
        isDeclared = true
        traceDeclared(requires, mutation)
    }

    /// Gives up `kind` for the rest of the run (ctx:drop); never undone.
    func drop(_ kind: CapabilityKind) { dropped.insert(kind) }

    public var mayMutate: Bool {
        mutationDeclared && (!isLibraryScript || grantsMutation) && !dropped.contains(.mutation)
            && denied[.mutation].isEmpty
    }

    /// Why `target` of the kind named `kind` is refused, or nil when it is
    /// allowed. `facts` of a host (role, tag, kind, node) for the selectors
    /// of requires.hosts beside its name.
    public func refusal(_ kind: String, _ target: String, facts: [String: [String]] = [:]) -> String? {
        guard let known = CapabilityKind(kind) else { return "not in requires.\(kind); declare it and have an operator grant it" }
        return refusal(known, target, facts: facts)
    }

    func refusal(_ kind: CapabilityKind, _ target: String, facts: [String: [String]] = [:]) -> String? {
        // (the empty sets are the common case, and asked first: this runs for every host)
        if !dropped.isEmpty, dropped.contains(kind) { return "the script dropped '\(kind.name)' (ctx:drop)" }
        let subject = Capabilities.subject(kind, target)
        let matching = { (pattern: String) in Capabilities.matches(pattern, subject, kind, facts) }
        if !denied.isEmpty, denied[kind].contains(where: matching) {
            return "an operator denied it"
        }
        guard let pattern = declared[kind].first(where: matching) else {
            return "not in requires.\(kind.name); declare it and have an operator grant it"
        }
        if isLibraryScript, !granted[kind].contains(where: matching) {
            return "not granted for \(script); an operator grants it in \(library.map { "the grants file of \($0)" } ?? "its grants") or with --grant \(kind.name)=\(target)"
        }
        if Capabilities.tracePath != nil { traceUse(kind, pattern, target) }
        return nil
    }

    /// Raises the denial error (and records it) when `target` is refused.
    /// `verb` says what was tried: "run", "reach", "write", "read".
    public func check(_ L: OpaquePointer, _ kind: String, _ target: String, _ verb: String) throws {
        guard let why = refusal(kind, target) else { return }
        throw Capabilities.error(deny(L, kind, target, verb, why))
    }

    /// A denial as an error object (kind "capability"): it prints as its
    /// message, which names the script's line itself.
    static func error(_ message: String) -> LuaRaise {
        LuaRaise.object(kind: "capability", message: message)
    }

    /// The denial message, recorded in the audit log: who, where, what, why.
    func deny(_ L: OpaquePointer, _ kind: String, _ target: String, _ verb: String, _ why: String) -> String {
        let who = version.isEmpty ? script : "\(script) \(version)"
        let shown = Capabilities.printable(target)
        let message = "not capable: \(who) (\(Capabilities.scriptPosition(L) ?? file)) cannot \(verb) '\(shown)': \(why)"
        record(action: "capability.denied", target: shown, outcome: message, kind: kind)
        traceRefusal(kind, target, why)
        return message
    }

    /// One audit line (STATE/audit.log), as the gate writes them (Swift
    /// writes it: a denial is raised where no Lua may run): the fields the
    /// gate's lines have (labsh.gate.audit), keys in the order of their
    /// names; `kind` is its details, `granted` and `denied` a library
    /// script's sets. A line that cannot be written is said on stderr: the
    /// refusal stands anyway.
    public func record(action: String, target: String, outcome: String, kind: String? = nil,
                       granted: String? = nil, denied: String? = nil) {
        guard let state = LabPaths.current.state else { return }
        var w = JSONWriter()
        w.beginObject()
        try? w.member("action", action)
        try? w.member("denied", denied)
        try? w.member("details", kind)
        try? w.member("granted", granted)
        try? w.member("host", SysModule.hostname())
        try? w.member("outcome", outcome)
        try? w.member("script", file)
        try? w.member("target", target)
        try? w.member("time", Capabilities.utcNow())
        try? w.member("user", Capabilities.auditUser)
        w.endObject()
        do {
            var st = stat()  // there already at most starts: one stat, not a mkdir per component
            if stat(state, &st) != 0 || (st.st_mode & S_IFMT) != S_IFDIR { try FileSystemModule.makeDirectories(raising: state) }
            let path = state + "/audit.log"
            let fd = try SafeFiles.openStateFile(path, flags: O_WRONLY | O_APPEND, privacy: .secret)
            defer { close(fd) }
            try SafeFiles.writeAll(fd, w.bytes + [0x0A], name: path)
        } catch {
            fputs("labsh: warning: capability line not recorded: \(error)\n", stderr)
        }
    }

    /// Who runs labsh, as its audit lines name them: looked up once (the
    /// user database is read for it).
    static let auditUser = OSModule.user()

    /// "host:port" of a URL, as requires.net lists it (the URL itself when
    /// it has no origin: it then matches no pattern but "*").
    public static func netTarget(_ url: String) -> String {
        Origin(url).map { "\($0.host):\($0.port)" } ?? url
    }

    /// Why a redirect to `url` is refused under the active manifest, or nil.
    static func hopRefusal(_ url: String) -> String? {
        guard let capabilities = active else { return nil }
        let target = netTarget(url)
        guard let why = capabilities.refusal(.net, target) else { return nil }
        let message = "not capable: \(capabilities.script) cannot follow a redirect to '\(printable(target))': \(why)"
        capabilities.record(action: "capability.denied", target: printable(target), outcome: message, kind: "net")
        capabilities.traceRefusal("net", target, why)
        return message
    }

    // MARK: Matching

    /// What a pattern of `kind` is compared with: an absolute, normalized
    /// path for files (links in its directory read through).
    static func subject(_ kind: CapabilityKind, _ target: String) -> String {
        kind == .filesRead || kind == .filesWrite ? resolved(target) : target
    }

    /// `*` globs for names; path prefixes (whole components) for files.
    static func matches(_ pattern: String, _ subject: String, _ kind: CapabilityKind, _ facts: [String: [String]] = [:]) -> Bool {
        if pattern == "*" { return true }
        // role:db, tag:ha, kind:nas, node:pve1 (the colon found by byte: checked for every host)
        if kind == .hosts, let colon = pattern.utf8.firstIndex(of: UInt8(ascii: ":")) {
            let values = facts[String(pattern[..<colon])] ?? []
            let wanted = String(pattern[pattern.utf8.index(after: colon)...])
            return values.contains { fnmatch(wanted, $0, 0) == 0 }
        }
        if kind == .filesRead || kind == .filesWrite {
            return Capabilities.isInside(subject, absolute(pattern))
        }
        // a program named without "/" is found on PATH: "restic" never
        // matches "./restic" or "/tmp/x/restic"
        // (by byte, as execve reads it: a mark after "/" does not hide it)
        if kind == .commands, subject.utf8.contains(UInt8(ascii: "/")) != pattern.utf8.contains(UInt8(ascii: "/")) {
            return false
        }
        return fnmatch(pattern, subject, 0) == 0
    }

    /// `path` made absolute and without "." or ".." (lexically). Paths are
    /// read as bytes, as the kernel reads them: read as Characters, a "/"
    /// followed by a combining mark was no separator, so "/a/../<mark>x"
    /// kept its ".." and passed for a path below /a.
    static func absolute(_ path: String) -> String {
        var base = path
        if !path.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
            base = (getcwd(&buffer, buffer.count).map { String(cString: $0) } ?? "") + "/" + path
        }
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var normal: [UInt8] = []  // "/a/b", one component at a time
        normal.reserveCapacity(base.utf8.count)
        base.withUTF8 { bytes in
            var end = 0
            while end < bytes.count {
                let start = end
                while end < bytes.count && bytes[end] != slash { end += 1 }
                let component = bytes[start..<end]
                end += 1
                if component.isEmpty || component.elementsEqual([dot]) { continue }
                if component.elementsEqual([dot, dot]) {
                    normal.removeSubrange((normal.lastIndex(of: slash) ?? 0)...)
                    continue
                }
                normal.append(slash)
                normal.append(contentsOf: component)
            }
        }
        return normal.isEmpty ? "/" : String(decoding: normal, as: UTF8.self)
    }

    /// Whether `path` is `directory` or below it, both absolute and normal,
    /// compared by bytes (as the kernel walks them).
    static func isInside(_ path: String, _ directory: String) -> Bool {
        let path = path.utf8, directory = directory.utf8
        guard path.starts(with: directory) else { return false }
        if path.count == directory.count || directory.last == UInt8(ascii: "/") { return true }
        return path[path.index(path.startIndex, offsetBy: directory.count)] == UInt8(ascii: "/")
    }

    /// Where the last "/" of `path` is, found by byte.
    static func lastSlash(_ path: String) -> String.Index? {
        path.utf8.lastIndex(of: UInt8(ascii: "/"))
    }

    /// The real place `path` names: its directory's links read through (the
    /// file itself too when it exists), so a link cannot lead a write outside.
    static func resolved(_ path: String) -> String {
        var full = absolute(path)
        if let real = realpath(full, nil) { defer { free(real) }; return String(cString: real) }
        // a link to a file not there yet: where writing through it creates one
        var st = stat()
        for _ in 0..<40 where lstat(full, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK {
            let target = LibraryTrust.linkTarget(full)
            full = absolute(target.hasPrefix("/") ? target : String(full[..<lastSlash(full)!]) + "/" + target)
        }
        let slash = lastSlash(full)!
        let directory = String(full[..<slash]), name = String(full[full.index(after: slash)...])
        guard !directory.isEmpty, let real = realpath(directory, nil) else { return full }
        defer { free(real) }
        let dir = String(cString: real)
        return (dir == "/" ? "" : dir) + "/" + name
    }

    /// A directory labsh's own code made for itself (a temporary directory,
    /// ssh's control sockets): from now on written by labsh's code only.
    func addOwn(_ path: String) {
        let real = Capabilities.resolved(path)
        if !ownDirectories.contains(real) { ownDirectories.append(real) }
    }

    /// --grant KIND=PATTERN, each as given on the command line (checked
    /// there): what an operator grants a library script for this run,
    /// beside its grants file. Kept here, off the options every run copies.
    nonisolated(unsafe) public static var commandLineGrants: [String] = []

    /// The script's own arguments as the command line gave them (nil: no
    /// script file or name): what an option:--NAME selector reads, not the
    /// `arg` table the script can change.
    nonisolated(unsafe) public static var scriptArguments: [String]?

    /// The inventory labsh reads (--inventory or LABSH_INVENTORY), set at
    /// start: its directory is read freely (an Ansible inventory's group_vars).
    nonisolated(unsafe) public static var inventoryFile: String?

    /// What any code may read without requires.files.read: labsh's own
    /// directories and script path, the inventory's directory, and what the
    /// system tells everyone (/proc, the time zone).
    private(set) lazy var freelyReadable: [String] = {
        let paths = LabPaths.current
        var roots = [paths.state, paths.config, paths.data].compactMap { $0 }
            + paths.scriptPath.overrides + paths.scriptPath.system
            + ["/proc", "/etc/timezone", "/etc/localtime", "/usr/share/zoneinfo", "/dev/null"]
        if let inventory = Capabilities.inventoryFile, let slash = inventory.lastIndex(of: "/") {
            roots.append(inventory.hasPrefix("/") || slash != inventory.startIndex ? String(inventory[..<slash]) : "/")
        } else if Capabilities.inventoryFile != nil {
            roots.append(".")
        }
        return roots.map(Capabilities.resolved)
    }()

    /// The script's own file, read freely (the gate's audit line names its
    /// SHA-256): for an operator's script, whose declaration alone limits it.
    func addReadable(_ path: String) {
        freelyReadable.append(Capabilities.resolved(path))
    }

    /// Why reading `path` is refused, or nil: free in labsh's own places,
    /// else requires.files.read decides.
    public func readRefusal(_ path: String) -> String? {
        let real = Capabilities.resolved(path)
        if freelyReadable.contains(where: { Capabilities.isInside(real, $0) }) { return nil }
        return refusal(.filesRead, path)
    }

    /// The denial of a write to `path` (recorded), or nil: labsh's own
    /// directories take writes from labsh's own code only (`byLabsh`);
    /// anywhere else needs requires.files.write, whoever asks.
    func writeDenial(_ L: OpaquePointer, _ path: String, byLabsh: Bool) -> String? {
        if isOwn(path) { return byLabsh ? nil : deny(L, "files.write", path, "write", "it is labsh's own state") }
        return refusal(.filesWrite, path).map { deny(L, "files.write", path, "write", $0) }
    }

    /// The denial of reaching the inventory host `name` (its `facts`:
    /// role, tag, kind, node), recorded; nil when requires.hosts covers it.
    func hostDenial(_ L: OpaquePointer, _ name: String, _ facts: [String: [String]]) -> String? {
        refusal(.hosts, name, facts: facts).map { deny(L, "hosts", name, "ssh to", $0) }
    }

    /// Whether `path` is inside labsh's own directories.
    func isOwn(_ path: String) -> Bool {
        let real = Capabilities.resolved(path)
        return ownDirectories.contains { Capabilities.isInside(real, $0) }
    }

    // MARK: Who called

    /// The first frame of the script's own code, as "file:line": the frames
    /// of labsh's embedded stdlib and of C functions are skipped.
    static func scriptPosition(_ L: OpaquePointer) -> String? {
        var ar = lua_Debug()
        var level: Int32 = 0
        while lua_getstack(L, level, &ar) != 0 {
            level += 1
            guard lua_getinfo(L, "Sl", &ar) != 0, ar.currentline > 0 else { continue }
            let source = String(cString: ar.source)
            if source.hasPrefix("@" + Lab.embeddedChunkPrefix) { continue }
            return "\(shortSource(ar)):\(ar.currentline)"
        }
        return nil
    }

    static func shortSource(_ ar: lua_Debug) -> String {
        withUnsafeBytes(of: ar.short_src) { raw in
            String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
        }
    }

    /// Whether the function that called the running C function is labsh's
    /// own (embedded stdlib) code. A tail call hides the real caller, so it
    /// counts as the script's.
    static func calledByLabsh(_ L: OpaquePointer) -> Bool {
        var ar = lua_Debug()
        guard lua_getstack(L, 0, &ar) != 0, lua_getinfo(L, "t", &ar) != 0, ar.istailcall == 0 else { return false }
        guard lua_getstack(L, 1, &ar) != 0, lua_getinfo(L, "S", &ar) != 0 else { return false }
        return String(cString: ar.source).hasPrefix("@" + Lab.embeddedChunkPrefix)
    }

    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }.prefix(200))
    }

    static func utcNow() -> String {
        // by hand: gmtime_r and strftime read the time zone database first
        // (tzset: /etc/localtime), for a stamp in UTC. Days to a civil date
        // as in Howard Hinnant's "chrono-compatible low-level date algorithms".
        let now = Int(time(nil))
        let days = now >= 0 ? now / 86_400 : (now - 86_399) / 86_400, second = now - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // March is 0
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(second / 3_600)):\(two(second / 60 % 60)):\(two(second % 60))Z"
    }
}
