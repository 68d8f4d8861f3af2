import Glibc
import LabBindings

/// The command line, parsed the way the standard `lua` interpreter parses
/// it (lua.c's collectargs), plus labsh's long options and `-m NAME`.
struct Arguments {
    enum Action {
        case execute(String)  // -e
        case library(String)  // -l
        case warningsOn       // -W
    }

    var argv: [String]
    var progname: String
    var actions: [Action] = []
    var interactive = false     // -i
    var version = false         // -v (also set by -i, as in lua)
    var ignoreEnvironment = false
    var hasExecute = false
    /// Index in argv of the script (0: none), as lua.c counts it.
    var script = 0
    /// `-m NAME`: the script is found by name on the script path.
    var byName = false
    var options = LabOptions()
    var showHelp = false
    var showLabshVersion = false
    /// `-m` and nothing after it: list the scripts on the path.
    var listScripts = false
    /// Set when the command line is wrong: the message for the usage text.
    var error: String?

    init(_ argv: [String]) {
        self.argv = argv
        progname = argv.first.flatMap { $0.isEmpty ? nil : $0 } ?? "labsh"
        parse()
    }

    /// lua.c's rule: options until the first argument not starting with '-'.
    private mutating func parse() {
        var i = 1
        while i < argv.count {
            let a = argv[i]
            script = i
            guard a.utf8.first == UInt8(ascii: "-") else {
                if a == "test", !fileExists(a) { runByName() }  // `labsh test DIR...` is `labsh -m test DIR...`
                return
            }
            let chars = Array(a.utf8)
            if chars.count == 1 { return }  // "-": stdin is the script
            switch chars[1] {
            case UInt8(ascii: "-"):
                if chars.count == 2 { script = i + 1; finishScript(); return }
                if !parseLong(a, &i) { return }
            case UInt8(ascii: "E"), UInt8(ascii: "W"), UInt8(ascii: "i"), UInt8(ascii: "v"):
                guard chars.count == 2 else { return fail(unrecognized: a) }
                switch chars[1] {
                case UInt8(ascii: "E"): ignoreEnvironment = true
                case UInt8(ascii: "W"): actions.append(.warningsOn)
                case UInt8(ascii: "i"): interactive = true; version = true
                default: version = true
                }
            case UInt8(ascii: "e"), UInt8(ascii: "l"), UInt8(ascii: "m"):
                var value = String(decoding: chars[2...], as: UTF8.self)  // bytes, not Characters: cheaper at start-up
                if value.isEmpty {
                    i += 1
                    if i == argv.count && chars[1] == UInt8(ascii: "m") {  // `labsh -m`: the list
                        listScripts = true
                        script = 0
                        return
                    }
                    guard i < argv.count, argv[i].utf8.first != UInt8(ascii: "-") else {
                        script = i - 1
                        error = "'\(a)' needs argument"
                        return
                    }
                    value = argv[i]
                }
                switch chars[1] {
                case UInt8(ascii: "e"): actions.append(.execute(value)); hasExecute = true
                case UInt8(ascii: "l"): actions.append(.library(value))
                default:
                    // -m NAME: NAME takes the script's place in `arg`.
                    argv[i] = value
                    if chars.count > 2 { argv.insert("-m", at: i); i += 1 }
                    script = i
                    runByName()
                    return
                }
            default:
                return fail(unrecognized: a)
            }
            i += 1
        }
        script = 0
    }

    /// The script at `script` is found by name on the script path.
    private mutating func runByName() {
        byName = true
        liftGlobalOptions()
    }

    /// Whether `path` names anything: a file named `test` in the current
    /// directory is run as lua would, not taken for `labsh test`.
    private func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// labsh's global options mean the same after `-m NAME` as before it:
    /// --dry-run, --yes, --emergency, --format, --inventory and --grant are taken out
    /// of the script's arguments and set here. A `--` ends this and stays in
    /// the script's arguments, as lua passes it: labsh.cli reads it as the end
    /// of options, so what follows is the script's own, even "--dry-run".
    /// --timeout and --memory-limit are lifted too. One labsh cannot read (no
    /// value, a bad one) is left to the script, whose labsh.cli refuses it
    /// as a usage error: exit 2, or 3 for a check, with the script's usage.
    private mutating func liftGlobalOptions() {
        // a list: a Set's metadata costs more at start-up than the search
        let global = ["dry-run", "yes", "emergency", "format", "inventory", "timeout", "memory-limit", "grant"]
        var i = script + 1
        while i < argv.count, error == nil {
            let a = argv[i]
            if a == "--" { return }
            let name = a.hasPrefix("--") ? String(a.dropFirst(2).prefix { $0 != "=" }) : ""
            guard global.contains(name) else { i += 1; continue }
            var end = i
            if !parseLong(a, &end) { error = nil; i += 1; continue }
            argv.removeSubrange(i...min(end, argv.count - 1))
        }
    }

    private mutating func finishScript() {
        if script >= argv.count { script = 0 }
    }

    private mutating func fail(unrecognized option: String) {
        error = "unrecognized option '\(option)'"
    }

    /// labsh's long options: `--name value` or `--name=value`.
    private mutating func parseLong(_ a: String, _ i: inout Int) -> Bool {
        var name = String(a.dropFirst(2))
        var inline: String?
        if let eq = name.firstIndex(of: "=") {
            inline = String(name[name.index(after: eq)...])
            name = String(name[..<eq])
        }
        func value() -> String? {
            if let inline { return inline }
            i += 1
            return i < argv.count ? argv[i] : nil
        }
        switch name {
        case "help": showHelp = true
        case "version": showLabshVersion = true
        case "dry-run": options.dryRun = true
        case "yes": options.yes = true
        case "emergency": options.emergency = true
        case "timeout", "memory-limit", "inventory", "format", "grant":
            guard let v = value() else {
                error = "'--\(name)' needs argument"
                return false
            }
            switch name {
            case "timeout":
                guard let s = Double(v), s > 0, s.isFinite else {
                    error = "bad value for --timeout: '\(v)' (seconds expected)"
                    return false
                }
                options.timeout = s
            case "memory-limit":
                guard let bytes = parseSize(v) else {
                    error = "bad value for --memory-limit: '\(v)' (a size like 64M or 1G expected)"
                    return false
                }
                options.memoryLimit = bytes
            case "inventory":
                options.inventory = v
            case "grant":
                guard let eq = v.firstIndex(of: "="), !v[v.index(after: eq)...].isEmpty,
                      ["mutation"].contains(String(v[..<eq])) || Capabilities.kinds.contains(String(v[..<eq])) else {
                    error = "bad value for --grant: '\(v)' (KIND=PATTERN expected, KIND one of \((Capabilities.kinds + ["mutation"]).joined(separator: ", ")))"
                    return false
                }
                Capabilities.commandLineGrants.append(v)
            default:
                // which of them a script can write, it says itself (labsh.cli)
                guard v == "text" || v == "json" || v == "html" else {
                    error = "bad value for --format: '\(v)' (text, json or html expected)"
                    return false
                }
                options.format = v
            }
        default:
            fail(unrecognized: a)
            return false
        }
        return true
    }
}

/// "64M", "1G", "512k", "1048576" (bytes); binary multiples.
func parseSize(_ text: String) -> Int? {
    var digits = text
    var factor = 1
    if let last = text.last, let shift = ["k": 10, "m": 20, "g": 30, "t": 40][String(last).lowercased()] {
        digits = String(text.dropLast())
        factor = 1 << shift
    }
    guard let n = Int(digits), n > 0 else { return nil }
    let (bytes, overflow) = n.multipliedReportingOverflow(by: factor)
    return overflow ? nil : bytes
}
