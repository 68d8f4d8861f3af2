import Glibc

/// Where labsh finds Lua modules and scripts by name, in order (DESIGN.md):
/// LABSH_PATH, what the binary embeds, $XDG_DATA_HOME/labsh,
/// /usr/local/share/labsh, /usr/share/labsh.
public struct ScriptPath {
    /// Directories searched before the embedded files (LABSH_PATH).
    public var overrides: [String]
    /// Directories searched after them.
    public var system: [String]

    public init(overrides: [String], system: [String]) {
        self.overrides = overrides
        self.system = system
    }

    /// The path from the environment; `ignoreEnvironment` is lua's `-E`.
    public static func fromEnvironment(ignoreEnvironment: Bool) -> ScriptPath {
        func env(_ name: String) -> String? {
            guard !ignoreEnvironment, let v = getenv(name) else { return nil }
            let s = String(cString: v)
            return s.isEmpty ? nil : s
        }
        let overrides = env("LABSH_PATH").map { $0.split(separator: ":").map(String.init) } ?? []
        var system: [String] = []
        if let data = env("XDG_DATA_HOME") {
            system.append(data + "/labsh")
        } else if let home = getenv("HOME") {
            system.append(String(cString: home) + "/.local/share/labsh")
        }
        system += ["/usr/local/share/labsh", "/usr/share/labsh"]
        return ScriptPath(overrides: overrides, system: system)
    }

    /// A found file: on disk (`path`) or embedded (`embedded`, e.g. "stdlib/lab/x.lua").
    public enum Found {
        case file(String)
        case embedded(String)
    }

    /// Finds `name` ("a.b" for modules, "a/b" or "a-b" for scripts): in each
    /// directory `NAME.lua`, then `NAME/init.lua`; the embedded files under
    /// `embeddedRoot` take their place between the two lists.
    /// `tried` collects what was looked at, for the error message.
    public func find(_ relative: String, embeddedRoot: String, tried: inout [String]) -> Found? {
        let candidates = [relative + ".lua", relative + "/init.lua"]
        func onDisk(_ dirs: [String]) -> String? {
            for dir in dirs {
                for c in candidates {
                    let path = dir + "/" + c
                    if access(path, R_OK) == 0 { return path }
                    tried.append("no file '\(path)'")
                }
            }
            return nil
        }
        if let p = onDisk(overrides) { return .file(p) }
        for c in candidates {
            let path = embeddedRoot + "/" + c
            if EmbeddedFiles.text(path) != nil { return .embedded(path) }
        }
        tried.append("no embedded file '\(embeddedRoot)/\(candidates[0])'")
        if let p = onDisk(system) { return .file(p) }
        return nil
    }
}
