import Glibc

/// A path built as bytes for one system call after another: find's lookups
/// cost less than the String concatenations that named their files.
struct PathBytes {
    private var bytes: [UInt8] = []
    init() { bytes.reserveCapacity(256) }
    var count: Int { bytes.count }
    mutating func start(_ text: String) {
        bytes.removeAll(keepingCapacity: true)
        append(text)
    }
    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }  // a copy of contiguous bytes, not a walk of the UTF8View
    }
    /// `body` with the path and `suffix` after it, as a C string; the path stays as it was.
    mutating func withSuffix<R>(_ suffix: String, _ body: (UnsafePointer<CChar>) -> R) -> R {
        let count = bytes.count
        append(suffix)
        bytes.append(0)
        defer { bytes.removeSubrange(count...) }
        return bytes.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
    }
    func string(from start: Int = 0) -> String { String(decoding: bytes[start...], as: UTF8.self) }
}

/// Where labsh finds Lua modules and scripts by name, in order (DESIGN.md):
/// LABSH_PATH, what the binary embeds, $XDG_DATA_HOME/labsh,
/// /usr/local/share/labsh, /usr/share/labsh.
public struct ScriptPath {
    /// Directories searched before the embedded files (LABSH_PATH).
    public var overrides: [String]
    /// Directories searched after them.
    public var system: [String]

    /// Load also from directories and files others may write to
    /// (LABSH_ALLOW_UNSAFE_PATH=1); see `refusal`.
    public var allowUnsafe: Bool
    /// Which script libraries among `overrides` may run (LibraryTrust); nil:
    /// only finding files, nothing of them runs.
    public var trust: LibraryTrust?

    public init(overrides: [String], system: [String], allowUnsafe: Bool = false, trust: LibraryTrust? = nil) {
        self.overrides = overrides
        self.system = system
        self.allowUnsafe = allowUnsafe
        self.trust = trust
    }

    /// A found file: on disk (`path`), in a trusted library on disk
    /// (`library`: its file and the library's directory as `overrides` names
    /// it), or embedded (`embedded`, e.g. "stdlib/lab/x.lua"), or on disk
    /// where others could have put or changed it (`refused`: the message,
    /// naming the path and the fix).
    public enum Found {
        case file(String)
        case library(file: String, dir: String)
        case embedded(String)
        case refused(String)
    }

    /// Finds `name` ("a.b" for modules, "a/b" or "a-b" for scripts): in each
    /// directory `NAME.lua`, then `NAME/init.lua`; the embedded files under
    /// `embeddedRoot` take their place between the two lists. In a library
    /// among `overrides` (LibraryTrust), scripts are in `scripts/` and
    /// modules in `lib/`, and one is found only if the library is trusted.
    /// `tried` collects what was looked at, for the error message.
    public func find(_ relative: String, embeddedRoot: String, tried: inout [String]) -> Found? {
        if let found = find(relative, embeddedRoot: embeddedRoot) { return found }
        tried += places(relative, embeddedRoot: embeddedRoot)  // written only now: seldom read
        return nil
    }

    /// The same, where nobody asks where it looked.
    public func find(_ relative: String, embeddedRoot: String) -> Found? {
        var path = PathBytes()
        let labshOwns = ScriptPath.isLabshModule(relative, embeddedRoot: embeddedRoot)
        // `dir`'s NAME.lua, else NAME/init.lua (in a library, below scripts/ or lib/)
        func onDisk(_ dir: String, libraries: Bool) -> Found? {
            path.start(dir)
            let inDir = path.count + 1
            let library = libraries && path.withSuffix("/library.lua") { LibraryTrust.isManifest($0) }
            if library && labshOwns { return nil }
            path.append("/")
            if library { path.append(ScriptPath.below(embeddedRoot)) }
            path.append(relative)
            for suffix in 0..<2 {
                guard path.withSuffix(suffix == 0 ? ".lua" : "/init.lua", { access($0, R_OK) }) == 0 else { continue }
                path.append(suffix == 0 ? ".lua" : "/init.lua")
                if !allowUnsafe, let why = ScriptPath.refusal(of: path.string(from: inDir), in: dir) { return .refused(why) }
                guard library else { return .file(path.string()) }
                if let trust, let why = trust.refusal(of: dir) { return .refused(why) }
                return .library(file: path.string(), dir: dir)
            }
            return nil
        }
        for dir in overrides {
            if let found = onDisk(dir, libraries: true) { return found }
        }
        path.start(embeddedRoot)
        path.append("/")
        path.append(relative)
        for suffix in 0..<2 {
            let embedded = path.withSuffix(suffix == 0 ? ".lua" : "/init.lua") { String(cString: $0) }
            if EmbeddedFiles.text(embedded) != nil { return .embedded(embedded) }
        }
        for dir in system {
            if let found = onDisk(dir, libraries: false) { return found }
        }
        return nil
    }

    /// Whether `relative` names one of labsh's own modules ("lab/x",
    /// "labsh/x"). A library's lib/ does not provide them: a library on the
    /// path must not replace labsh's code for every script (a plain
    /// directory of LABSH_PATH still may: the operator's own overrides).
    static func isLabshModule(_ relative: String, embeddedRoot: String) -> Bool {
        embeddedRoot != "scripts" && (relative.hasPrefix("lab/") || relative.hasPrefix("labsh/")
            || relative == "lab" || relative == "labsh")
    }

    /// Where a library keeps what `find` looks for under `embeddedRoot`.
    static func below(_ embeddedRoot: String) -> String {
        embeddedRoot == "scripts" ? "scripts/" : "lib/"
    }

    /// Where find looked, for the error when it found nothing ("no file 'PATH'").
    func places(_ relative: String, embeddedRoot: String) -> [String] {
        let candidates = [relative + ".lua", relative + "/init.lua"]
        var places: [String] = []
        for dir in overrides {
            let library = LibraryTrust.isLibrary(dir)
            if library && ScriptPath.isLabshModule(relative, embeddedRoot: embeddedRoot) { continue }
            let inside = library ? ScriptPath.below(embeddedRoot) : ""
            for c in candidates { places.append("no file '\(dir)/\(inside)\(c)'") }
        }
        places.append("no embedded file '\(embeddedRoot)/\(candidates[0])'")
        for dir in system {
            for c in candidates { places.append("no file '\(dir)/\(c)'") }
        }
        return places
    }

    /// Does `name` ("a/b") climb out of where it is looked for (a part "..")?
    public static func climbs(_ name: String) -> Bool {
        var climbs = false
        forEachPart(of: name) { part in climbs = climbs || (part.count == 2 && part.allSatisfy { $0 == UInt8(ascii: ".") }) }
        return climbs
    }

    /// Calls `each` with each part of `path` between "/" (empty ones left
    /// out, as split does), as bytes: split's array of Substrings cost
    /// more than the checks it served.
    static func forEachPart(of path: String, _ each: (UnsafeBufferPointer<UInt8>) -> Void) {
        var path = path
        path.withUTF8 { bytes in
            var i = 0
            while i < bytes.count {
                while i < bytes.count && bytes[i] == UInt8(ascii: "/") { i += 1 }
                let start = i
                while i < bytes.count && bytes[i] != UInt8(ascii: "/") { i += 1 }
                if i > start { each(UnsafeBufferPointer(rebasing: bytes[start..<i])) }
            }
        }
    }

    // ---- Who could have written it --------------------------------------------

    /// Why `dir/relative` must not run with labsh's rights, or nil. Anyone
    /// who can write to the directory, to one below it on the way to the
    /// file, or to the file itself could replace labsh's own modules
    /// (labsh/gate.lua, lab/json.lua): each must be writable by its owner
    /// alone (group and others may not write). A sticky directory such as
    /// /tmp is allowed when what is in it belongs to the user or root,
    /// since others can then neither replace nor remove it. Symbolic links
    /// are followed: the checks are on what would be read. The directories
    /// above `dir`, up to /, count too (whoever may write one could rename
    /// `dir` away and put another in its place), both as written and with
    /// symbolic links resolved.
    public static func refusal(of relative: String, in dir: String) -> String? {
        // The steps are prefixes of a buffer, each ended by a NUL written
        // over its "/" for the system call: no String is made unless one is refused.
        var below: [UInt8] = Array(dir.utf8)
        forEachPart(of: relative) { part in
            below.append(UInt8(ascii: "/"))
            below.append(contentsOf: part)
        }
        let inside = Steps(path: below, first: dir.utf8.count)
        var absolute = dir
        if !dir.hasPrefix("/"), let cwd = getcwd(nil, 0) {
            absolute = String(cString: cwd) + "/" + dir
            free(cwd)
        }
        if let why = refusal(along: above(absolute), then: inside) { return why }
        if let real = realpath(dir, nil) {
            let resolved = String(cString: real)
            free(real)
            if resolved != absolute, let why = refusal(along: above(resolved), then: inside) { return why }
        }
        return nil
    }

    /// Directories, each followed by one inside it, as the prefixes of
    /// `path` that end at `first` and then at each "/" after it and at its end.
    struct Steps {
        var path: [UInt8]
        var first: Int
        /// Calls `each` with each step's path (NUL-terminated) and where it
        /// ends, until `each` returns something.
        mutating func first<T>(_ each: (UnsafePointer<CChar>, Int) -> T?) -> T? {
            guard first >= 0 else { return nil }
            path.append(0)
            defer { path.removeLast() }
            var end = first
            while true {
                let kept = path[end]
                path[end] = 0
                let result = path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { each($0.baseAddress!, end) } }
                path[end] = kept
                if let result { return result }
                end += 1
                while end < path.count - 1 && path[end] != UInt8(ascii: "/") { end += 1 }
                if end >= path.count { return nil }
            }
        }
        func text(to end: Int) -> String { String(decoding: path[..<end], as: UTF8.self) }
    }

    /// The directories above the absolute path `absolute`, from / down
    /// ("/", "/a", "/a/b" for /a/b/c); none for / itself.
    static func above(_ absolute: String) -> Steps {
        var path: [UInt8] = [UInt8(ascii: "/")], parts = 0, last = 0
        forEachPart(of: absolute) { part in
            last = path.count  // the directory this part is in ends here
            if parts > 0 { path.append(UInt8(ascii: "/")) }
            path.append(contentsOf: part)
            parts += 1
        }
        path.removeSubrange(last...)  // its own part is not above it
        return Steps(path: path.isEmpty ? [UInt8(ascii: "/")] : path, first: parts == 0 ? -1 : 1)
    }

    /// Why the last of `inside`'s steps must not be loaded, or nil; the
    /// steps of `chain` come first.
    static func refusal(along chain: Steps, then inside: Steps) -> String? {
        var chainSteps = chain, insideSteps = inside  // their buffers take the NULs; the names come from the originals
        var inStickyDirectory: String? = nil
        func last() -> String { inside.text(to: inside.path.count) }  // the file, named only when refused
        // nil: on to the next step; "": gone, the load fails on its own; else the refusal
        func step(_ steps: Steps, _ path: UnsafePointer<CChar>, _ end: Int) -> String? {
            var st = stat()
            guard stat(path, &st) == 0 else { return "" }
            if let sticky = inStickyDirectory, st.st_uid != 0 && st.st_uid != geteuid() {
                return refusal(last(), because: "\(steps.text(to: end)) belongs to another user in \(sticky), "
                    + "where anyone may create files", fix: "move it to a directory of yours")
            }
            inStickyDirectory = nil
            if st.st_mode & 0o022 != 0 {
                let isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
                guard isDirectory && st.st_mode & S_ISVTX != 0 else {
                    let mode = String(st.st_mode & 0o7777, radix: 8)
                    return refusal(last(), because: "\(steps.text(to: end)) is writable by others than its owner (mode 0\(mode))",
                                   fix: "chmod go-w \(steps.text(to: end))")
                }
                inStickyDirectory = steps.text(to: end)
            }
            return nil
        }
        let why = chainSteps.first { step(chain, $0, $1) } ?? insideSteps.first { step(inside, $0, $1) }
        return why?.isEmpty == false ? why : nil
    }

    /// The same rules for an init file (LABSH_INIT=@FILE): its directory and itself.
    public static func refusal(ofInitFile path: String) -> String? {
        guard !unsafeAllowed else { return nil }
        guard let slash = path.lastIndex(of: "/") else { return refusal(of: path, in: ".") }
        let dir = String(path[..<slash])
        return refusal(of: String(path[path.index(after: slash)...]), in: dir.isEmpty ? "/" : dir)
    }

    /// LABSH_ALLOW_UNSAFE_PATH=1 (not under -E): load such files anyway.
    public static var unsafeAllowed: Bool { LabPaths.current.scriptPath.allowUnsafe }

    static func refusal(_ file: String, because why: String, fix: String) -> String {
        "refusing to load \(file): \(why); fix: \(fix), or set LABSH_ALLOW_UNSAFE_PATH=1 to load it anyway"
    }
}
