import Glibc

/// Where labsh keeps and finds things, computed once at start-up from the
/// environment: every other place (the REPL's history, labsh.state,
/// lab.inventory, lab.job, `lab.sys.locations()`) takes its answer from here.
///
/// `-E` (lua's "ignore environment variables") ignores labsh's own
/// variables as it ignores LUA_PATH and LUA_INIT: LABSH_PATH,
/// LABSH_STATE_DIR, LABSH_INVENTORY, LABSH_ALLOW_UNSAFE_PATH and the XDG_*
/// directories. HOME is still read: without it there is no default.
public struct LabPaths {
    /// $XDG_CONFIG_HOME/labsh, else ~/.config/labsh.
    public var config: String?
    /// $LABSH_STATE_DIR, else $XDG_STATE_HOME/labsh, else ~/.local/state/labsh.
    public var state: String?
    /// $XDG_DATA_HOME/labsh, else ~/.local/share/labsh: scripts and jobs of yours.
    public var data: String?
    /// $LABSH_INVENTORY, the inventory the environment chooses (--inventory wins over it).
    public var inventory: String?
    /// Where `require`, `-m` and lab.job look (ScriptPath).
    public var scriptPath: ScriptPath
    /// Started with -E.
    public var ignoresEnvironment: Bool

    /// The directories searched after the embedded files, after `data`.
    public static let systemDirectories = ["/usr/local/share/labsh", "/usr/share/labsh"]

    public static func fromEnvironment(ignoreEnvironment: Bool) -> LabPaths {
        func env(_ name: String) -> String? {
            guard !ignoreEnvironment, let v = getenv(name), v.pointee != 0 else { return nil }
            return String(cString: v)
        }
        let home = getenv("HOME").flatMap { $0.pointee != 0 ? String(cString: $0) : nil }
        func under(_ variable: String, else fallback: String) -> String? {
            if let base = env(variable) { return base + "/labsh" }
            return home.map { $0 + fallback + "/labsh" }
        }
        let data = under("XDG_DATA_HOME", else: "/.local/share")
        let state = env("LABSH_STATE_DIR") ?? under("XDG_STATE_HOME", else: "/.local/state")
        let scriptPath = ScriptPath(overrides: env("LABSH_PATH").map(directories(inPathList:)) ?? [],
                                    system: (data.map { [$0] } ?? []) + systemDirectories,
                                    allowUnsafe: env("LABSH_ALLOW_UNSAFE_PATH") == "1",
                                    trust: LibraryTrust(recordPath: state.map { $0 + "/trusted-libraries" } ?? "",
                                                        ask: LibraryTrust.askAtTerminal))
        return LabPaths(config: under("XDG_CONFIG_HOME", else: "/.config"),
                        state: state,
                        data: data, inventory: env("LABSH_INVENTORY"), scriptPath: scriptPath,
                        ignoresEnvironment: ignoreEnvironment)
    }

    /// The directories of a colon-separated list (LABSH_PATH), empty ones
    /// left out; a byte walk (split's generic code cost 15K instructions
    /// at every start).
    static func directories(inPathList list: String) -> [String] {
        var directories: [String] = []
        var start = list.utf8.startIndex
        for index in list.utf8.indices where list.utf8[index] == UInt8(ascii: ":") {
            if index > start { directories.append(String(list[start..<index])) }
            start = list.utf8.index(after: index)
        }
        if start < list.utf8.endIndex { directories.append(String(list[start...])) }
        return directories
    }

    /// The paths of this process, set by `Lab.install` (the environment as
    /// the command line allows it); before that, read with -E off. Read
    /// from the environment only when asked before being set: the
    /// setter's start-up did it a second time for nothing.
    public static var current: LabPaths {
        get {
            if let installed { return installed.paths }
            let paths = LabPaths.fromEnvironment(ignoreEnvironment: false)
            installed = Installed(paths)
            return paths
        }
        set { installed = Installed(newValue) }
    }
    nonisolated(unsafe) private static var installed: Installed?

    /// `current`, boxed: an Optional of the struct itself took the Swift
    /// runtime's type metadata to destroy (40K instructions at start).
    private final class Installed {
        let paths: LabPaths
        init(_ paths: LabPaths) { self.paths = paths }
    }
}
