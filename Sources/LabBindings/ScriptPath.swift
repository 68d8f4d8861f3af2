import Glibc

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

    /// A found file: on disk (`path`) or embedded (`embedded`, e.g.
    /// "stdlib/lab/x.lua"), or on disk where others could have put or changed
    /// it (`refused`: the message, naming the path and the fix).
    public enum Found {
        case file(String)
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
        let candidates = [relative + ".lua", relative + "/init.lua"]
        func onDisk(_ dirs: [String], libraries: Bool) -> Found? {
            for dir in dirs {
                let library = libraries && LibraryTrust.isLibrary(dir)
                let below = library ? (embeddedRoot == "scripts" ? "scripts/" : "lib/") : ""
                for c in candidates {
                    let path = dir + "/" + below + c
                    if access(path, R_OK) == 0 {
                        if !allowUnsafe, let why = ScriptPath.refusal(of: below + c, in: dir) { return .refused(why) }
                        if library, let trust, let why = trust.refusal(of: dir) { return .refused(why) }
                        return .file(path)
                    }
                    tried.append("no file '\(path)'")
                }
            }
            return nil
        }
        if let found = onDisk(overrides, libraries: true) { return found }
        for c in candidates {
            let path = embeddedRoot + "/" + c
            if EmbeddedFiles.text(path) != nil { return .embedded(path) }
        }
        tried.append("no embedded file '\(embeddedRoot)/\(candidates[0])'")
        return onDisk(system, libraries: false)
    }

    /// The library on `overrides` whose `scripts/` holds `file` (as find
    /// returned it), or nil: a library script runs under its capabilities.
    public func library(holding file: String) -> String? {
        library(holding: file, below: "scripts/")
    }

    /// The library whose `below` ("scripts/", "lib/") holds `file`, or nil.
    func library(holding file: String, below: String) -> String? {
        overrides.first { file.hasPrefix($0 + "/" + below) && LibraryTrust.isLibrary($0) }
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
        var below = [dir]
        var path = dir
        for part in relative.split(separator: "/") {
            path += "/" + String(part)  // a String: Substring takes the unspecialized append
            below.append(path)
        }
        for above in ancestors(of: dir) {
            if let why = refusal(along: above + below) { return why }
        }
        return nil
    }

    /// Why the last of `steps` (each directory followed by one inside it)
    /// must not be loaded, or nil.
    static func refusal(along steps: [String]) -> String? {
        var inStickyDirectory: String? = nil
        for step in steps {
            var st = stat()
            guard stat(step, &st) == 0 else { return nil }  // gone: the load fails on its own
            if let sticky = inStickyDirectory, st.st_uid != 0 && st.st_uid != geteuid() {
                return refusal(steps.last!, because: "\(step) belongs to another user in \(sticky), "
                    + "where anyone may create files", fix: "move it to a directory of yours")
            }
            inStickyDirectory = nil
            if st.st_mode & 0o022 != 0 {
                let isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
                guard isDirectory && st.st_mode & S_ISVTX != 0 else {
                    let mode = String(st.st_mode & 0o7777, radix: 8)
                    return refusal(steps.last!, because: "\(step) is writable by others than its owner (mode 0\(mode))",
                                   fix: "chmod go-w \(step)")
                }
                inStickyDirectory = step
            }
        }
        return nil
    }

    /// The directories above `dir`, from / down, once for its absolute path
    /// as written and once more with links resolved when that differs (a
    /// directory that cannot be resolved has only the first).
    static func ancestors(of dir: String) -> [[String]] {
        func above(_ absolute: String) -> [String] {
            var list = ["/"]
            var path = ""
            for part in absolute.split(separator: "/").dropLast() {
                path += "/" + String(part)
                list.append(path)
            }
            return absolute.split(separator: "/").isEmpty ? [] : list
        }
        var absolute = dir
        if !dir.hasPrefix("/"), let cwd = getcwd(nil, 0) {
            absolute = String(cString: cwd) + "/" + dir
            free(cwd)
        }
        var chains = [above(absolute)]
        if let real = realpath(dir, nil) {
            let resolved = String(cString: real)
            free(real)
            if resolved != absolute { chains.append(above(resolved)) }
        }
        return chains
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
