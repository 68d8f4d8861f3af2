import Connectors
import Glibc
import LabBindings

/// `labsh -m` without a name: every script on the script path, where it
/// comes from and what it does. The description is the first sentence of
/// the script's first comment paragraph, its `NAME:` left out (README,
/// "Scripts"): nothing of the script runs to list it.
enum ScriptList {
    struct Entry {
        var name: String
        /// "embedded", "LABSH_PATH", "library NAME" (its directory), "XDG" or "system".
        var origin: String
        /// The file on disk; nil for an embedded script.
        var file: String?
        var description: String
    }

    /// The scripts `-m NAME` can run, each under the name that runs it and
    /// from where it would be found (the first on the path wins).
    static func entries(_ path: ScriptPath) -> [Entry] {
        var found: [String: Entry] = [:]
        func add(_ name: String, _ origin: String, _ file: String?, _ text: String) {
            guard found[name] == nil else { return }
            found[name] = Entry(name: name, origin: origin, file: file, description: describe(text, name: name))
        }
        for dir in path.overrides {
            if LibraryTrust.isLibrary(dir) {
                scan(dir + "/scripts", origin: "library " + (dir.split(separator: "/").last.map(String.init) ?? dir), add)
            } else {
                scan(dir, origin: "LABSH_PATH", add)
            }
        }
        for embedded in EmbeddedFiles.paths where embedded.hasPrefix("scripts/") && embedded.hasSuffix(".lua") {
            guard let name = scriptName(String(embedded.dropFirst("scripts/".count))),
                  let text = EmbeddedFiles.text(embedded) else { continue }
            add(name, "embedded", nil, text.description)
        }
        for dir in path.system { scan(dir, origin: dir.hasPrefix("/usr/") ? "system" : "XDG", add) }
        return found.values.sorted { $0.name < $1.name }
    }

    /// "report.lua" -> "report", "playbooks/x.lua" -> "x", "tool/init.lua"
    /// -> "tool"; nil for anything else (modules deeper down).
    static func scriptName(_ relative: String) -> String? {
        var parts = relative.split(separator: "/").map(String.init)
        if parts.first == "playbooks" { parts.removeFirst() }
        if parts.count == 2, parts[1] == "init.lua" { return parts[0] }
        guard parts.count == 1, parts[0].hasSuffix(".lua"), parts[0].count > 4 else { return nil }
        return String(parts[0].dropLast(4))
    }

    /// The scripts in `dir` and in `dir/playbooks`.
    static func scan(_ dir: String, origin: String, _ add: (String, String, String?, String) -> Void) {
        for sub in ["", "playbooks/"] {
            for file in listing(dir + "/" + sub) {
                let relative = sub + file
                guard let name = scriptName(relative) ?? (file.hasSuffix(".lua") ? nil : scriptName(relative + "/init.lua")) else {
                    continue
                }
                let path = relative.hasSuffix(".lua") ? dir + "/" + relative : dir + "/" + relative + "/init.lua"
                guard let text = head(path) else { continue }
                add(name, origin, path, text)
            }
        }
    }

    /// The names in a directory, sorted; none when it cannot be read.
    static func listing(_ dir: String) -> [String] {
        (directoryNames(dir) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// The first 4 KiB of a file: enough for its leading comment.
    static func head(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = fread(&buffer, 1, buffer.count, f)
        return String(decoding: buffer.prefix(n), as: UTF8.self)
    }

    /// The first sentence of the first comment paragraph (after a `#!`
    /// line), `NAME:` left out; at most 76 characters.
    static func describe(_ text: String, name: String) -> String {
        var words: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#!") && words.isEmpty { continue }
            guard line.hasPrefix("--") else { break }
            let body = line.dropFirst(2).trimmingSpaces
            if body.isEmpty { if words.isEmpty { continue } else { break } }
            if body.hasPrefix("[") || body.hasPrefix("-") { break }  // a block comment or ---@meta
            words.append(body)
        }
        var sentence = words.joined(separator: " ")
        if sentence.hasPrefix(name + ":") { sentence = String(sentence.dropFirst(name.count + 1)).trimmingSpaces }
        let characters = Array(sentence)
        if let end = characters.indices.first(where: { $0 + 1 < characters.count && characters[$0] == "." && characters[$0 + 1] == " " }) {
            sentence = String(characters[...end])
        }
        if sentence.count > 76 {
            var cut = String(sentence.prefix(73))
            if let space = cut.lastIndex(of: " ") { cut = String(cut[..<space]) }
            sentence = cut + "..."
        }
        return sentence.isEmpty ? "(no description: begin the script with a comment)" : sentence
    }

    /// Prints the list (a JSON array with --format json); exit status 0.
    static func print(_ path: ScriptPath, json: Bool) -> Int32 {
        let list = entries(path)
        if json {
            var w = JSONWriter()
            w.beginArray()
            for e in list {
                w.beginObject()
                for (key, value) in [("name", e.name), ("origin", e.origin), ("file", e.file), ("description", e.description)] {
                    var key = key
                    try? key.withUTF8 { try w.key(UnsafeRawBufferPointer($0)) }
                    if let value { try? w.string(value) } else { w.null() }
                }
                w.endObject()
            }
            w.endArray()
            printOut(String(decoding: w.bytes, as: UTF8.self) + "\n")
            return 0
        }
        let columns = terminalColumns()
        let heading = "scripts on the path (labsh -m NAME runs one; labsh -m NAME --help: usage)"
        var out = wrap(heading, width: columns).joined(separator: "\n") + "\n"
        let width = min(24, list.map { $0.name.count }.max() ?? 0)
        for e in list {
            let name = e.name + String(repeating: " ", count: max(0, width - e.name.count))
            let origin = e.origin + String(repeating: " ", count: max(0, 10 - e.origin.count))
            let lead = "  \(name)  \(origin)  "
            let text = e.description + (e.file.map { " (\($0))" } ?? "")
            // the description column wraps under itself to fit the terminal
            let lines = wrap(text, width: max(20, columns - lead.count))
            out += lead + lines[0] + "\n"
            let indent = String(repeating: " ", count: lead.count)
            for line in lines.dropFirst() { out += indent + line + "\n" }
        }
        printOut(out)
        return 0
    }

    /// The width to fit: stdout's terminal, else $COLUMNS, else 80.
    static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = getenv("COLUMNS").map({ String(cString: $0) }), let n = Int(text), n > 0 { return n }
        return 80
    }

    /// `text` in lines of at most `width` characters, broken at spaces; a
    /// word longer than a line (a path) is broken where the line ends.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ").map(String.init) {
            var word = word
            if !line.isEmpty && line.count + 1 + word.count <= width {
                line += " " + word
                continue
            }
            if !line.isEmpty { lines.append(line) }
            while word.count > width {
                lines.append(String(word.prefix(width)))
                word = String(word.dropFirst(width))
            }
            line = word
        }
        lines.append(line)
        return lines
    }
}

private extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}

private extension String {
    var trimmingSpaces: String { Substring(self).trimmingSpaces }
}
