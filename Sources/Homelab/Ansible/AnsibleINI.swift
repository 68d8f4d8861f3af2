/// Ansible's INI inventory (the `ini` inventory plugin of ansible-core), the
/// most common form of a hand-written inventory:
///
///     [web]                       hosts of group web
///     web1 ansible_host=10.0.0.5  a host pattern, then key=value variables
///     [web:vars]                  group variables, `key = value`
///     [servers:children]          child groups, one name a line
///
/// Lines starting with `#` or `;` are comments. Host lines are split as a
/// shell would (quotes, backslashes, `#` ends the line); values are typed as
/// Python literals, as Ansible types them: `2222` an integer, `True` a
/// boolean, `'10'` the integer 10 (the shell split drops the quotes),
/// `[1, 2]` a list, anything else text (`yes`, `010`).
extension AnsibleBuilder {
    mutating func readINI(_ text: String) throws {
        enum Section { case hosts, vars, children }
        var group = "ungrouped", section = Section.hosts
        var declaredOnlyByVars: [String: Int] = [:]  // group -> line of its [g:vars]
        var lineNumber = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let line = String(raw.trimmingSpaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard let (name, kind) = Self.sectionHeader(line) else {
                    throw AnsibleError(line: lineNumber, message: "'\(line)' is not a section header like [group], [group:vars] or [group:children]")
                }
                switch kind {
                case nil, "hosts"?: section = .hosts
                case "vars"?: section = .vars
                case "children"?: section = .children
                case let other?:
                    throw AnsibleError(line: lineNumber, message: "section [\(name):\(other)] has an unknown type '\(other)' (only vars and children)")
                }
                if section == .vars && groups[name] == nil && declaredOnlyByVars[name] == nil {
                    declaredOnlyByVars[name] = lineNumber
                } else if section != .vars {
                    declaredOnlyByVars[name] = nil
                }
                addGroup(name, line: lineNumber)
                group = name
                continue
            }
            switch section {
            case .hosts: try readINIHost(line, group: group, line: lineNumber)
            case .children:
                let child = String(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[0])
                declaredOnlyByVars[child] = nil
                addGroup(child, line: lineNumber)
                try addChild(child, to: group, line: lineNumber)
            case .vars:
                guard let eq = line.firstIndex(of: "=") else {
                    throw AnsibleError(line: lineNumber, message: "expected 'key=value' in [\(group):vars], got '\(line)'")
                }
                let key = String(line[..<eq].trimmingSpaces)
                setGroupVar(group, key, PythonLiteral.value(of: String(line[line.index(after: eq)...].trimmingSpaces)), line: lineNumber)
            }
        }
        if let (name, line) = declaredOnlyByVars.min(by: { $0.value < $1.value }) {
            throw AnsibleError(line: line, message: "section [\(name):vars] is for a group that is defined nowhere")
        }
    }

    /// `[name]`, `[name:vars]`, `[name:children]`, then perhaps a comment.
    static func sectionHeader(_ line: String) -> (String, String?)? {
        guard let close = line.firstIndex(of: "]") else { return nil }
        let after = line[line.index(after: close)...].trimmingSpaces
        guard after.isEmpty || after.hasPrefix("#") else { return nil }
        let inside = line[line.index(after: line.startIndex)..<close]
        let parts = inside.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\t" || $0 == "[" }) else { return nil }
        return (name, parts.count == 2 ? String(parts[1]) : nil)
    }

    mutating func readINIHost(_ text: String, group: String, line: Int) throws {
        let tokens: [String]
        do { tokens = try ShellWords.split(text) } catch let e as AnsibleError {
            throw AnsibleError(line: line, message: e.message)
        }
        guard let pattern = tokens.first else { return }
        let expanded: (hosts: [String], port: Int?)
        do { expanded = try AnsibleInventory.expand(pattern) } catch let e as AnsibleError {
            throw AnsibleError(line: line, message: "host pattern '\(pattern)': \(e.message)")
        }
        var vars: [(String, YAMLValue)] = []
        for token in tokens.dropFirst() {
            guard let eq = token.firstIndex(of: "=") else {
                throw AnsibleError(line: line, message: "expected key=value host variable assignment, got '\(token)'")
            }
            vars.append((String(token[..<eq]), PythonLiteral.value(of: String(token[token.index(after: eq)...]))))
        }
        for host in expanded.hosts {
            addHost(host, to: group, line: line)
            if let port = expanded.port { hosts[host]!.vars["ansible_port"] = .int(Int64(port)) }
            for (k, v) in vars { hosts[host]!.vars[k] = v }
        }
    }
}

/// Python's shlex.split(text, comments=True), which Ansible splits host
/// lines with: blanks separate words; 'single' quotes keep everything,
/// "double" quotes let a backslash escape `"` and `\`; a backslash outside
/// quotes escapes the next character; an unquoted `#` ends the line.
enum ShellWords {
    static func split(_ text: String) throws -> [String] {
        var words: [String] = []
        var word = "", inWord = false
        var chars = text.makeIterator()
        while let c = chars.next() {
            switch c {
            case " ", "\t", "\r":
                if inWord { words.append(word); word = ""; inWord = false }
            case "#":
                if inWord { words.append(word) }
                return words
            case "\\":
                inWord = true
                if let next = chars.next() { word.append(next) }
            case "'", "\"":
                inWord = true
                var closed = false
                while let q = chars.next() {
                    if q == c { closed = true; break }
                    if c == "\"" && q == "\\" {
                        guard let next = chars.next() else { break }
                        if next != "\"" && next != "\\" { word.append("\\") }
                        word.append(next)
                    } else {
                        word.append(q)
                    }
                }
                if !closed { throw AnsibleError(line: nil, message: "no closing quotation in '\(text)'") }
            default:
                inWord = true
                word.append(c)
            }
        }
        if inWord { words.append(word) }
        return words
    }
}

/// What Python's ast.literal_eval makes of an INI value, as Ansible types
/// them: integers, floats, True/False/None, quoted strings, and lists and
/// dicts of those; a trailing `# comment` is allowed after a literal. Text
/// that is no literal stays text.
enum PythonLiteral {
    static func value(of text: String) -> YAMLValue {
        var p = Parser(chars: Array(text.unicodeScalars))
        guard let v = p.value() else { return .string(text) }
        p.skipBlanks()
        if p.i < p.chars.count && p.chars[p.i] != "#" { return .string(text) }
        return v
    }

    struct Parser {
        let chars: [Unicode.Scalar]
        var i = 0

        mutating func skipBlanks() { while i < chars.count && (chars[i] == " " || chars[i] == "\t") { i += 1 } }

        mutating func value() -> YAMLValue? {
            skipBlanks()
            guard i < chars.count else { return nil }
            switch chars[i] {
            case "'", "\"": return string()
            case "[", "(": return list(close: chars[i] == "[" ? "]" : ")")
            case "{": return dict()
            default: return atom()
            }
        }

        mutating func string() -> YAMLValue? {
            let quote = chars[i]
            i += 1
            var out = ""
            while i < chars.count {
                let c = chars[i]
                i += 1
                if c == quote { return .string(out) }
                if c == "\\", i < chars.count {
                    let e = chars[i]
                    i += 1
                    switch e {
                    case "n": out.unicodeScalars.append("\n")
                    case "t": out.unicodeScalars.append("\t")
                    case "\\", "'", "\"": out.unicodeScalars.append(e)
                    default: out.unicodeScalars.append("\\"); out.unicodeScalars.append(e)
                    }
                } else {
                    out.unicodeScalars.append(c)
                }
            }
            return nil
        }

        mutating func list(close: Unicode.Scalar) -> YAMLValue? {
            i += 1
            var items: [YAMLValue] = []
            while true {
                skipBlanks()
                if i < chars.count && chars[i] == close { i += 1; return .list(items) }
                guard let v = value() else { return nil }
                items.append(v)
                skipBlanks()
                guard i < chars.count else { return nil }
                if chars[i] == "," { i += 1 } else if chars[i] != close { return nil }
            }
        }

        mutating func dict() -> YAMLValue? {
            i += 1
            var m: [String: YAMLValue] = [:]
            while true {
                skipBlanks()
                if i < chars.count && chars[i] == "}" { i += 1; return .map(m) }
                guard let k = value() else { return nil }
                skipBlanks()
                guard i < chars.count, chars[i] == ":" else { return nil }
                i += 1
                guard let v = value() else { return nil }
                m[k.description] = v
                skipBlanks()
                guard i < chars.count else { return nil }
                if chars[i] == "," { i += 1 } else if chars[i] != "}" { return nil }
            }
        }

        /// A number or True/False/None, up to a delimiter.
        mutating func atom() -> YAMLValue? {
            let start = i
            while i < chars.count, !" \t,]})#:".unicodeScalars.contains(chars[i]) { i += 1 }
            let word = String(String.UnicodeScalarView(chars[start..<i]))
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .null
            default: break
            }
            var digits = word.replacingUnderscores
            let negative = digits.hasPrefix("-")
            if negative || digits.hasPrefix("+") { digits.removeFirst() }
            guard let first = digits.first, first.isASCII, first.isNumber || first == "." else { return nil }
            if digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                if digits.count > 1 && digits.hasPrefix("0") && digits.contains(where: { $0 != "0" }) { return nil }  // 010: no literal
                guard let n = Int64(digits) else { return nil }
                return .int(negative ? -n : n)
            }
            for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where digits.lowercased().hasPrefix(prefix) {
                guard let n = Int64(digits.dropFirst(2), radix: radix) else { return nil }
                return .int(negative ? -n : n)
            }
            guard let d = Double(digits), digits.allSatisfy({ $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }) else { return nil }
            return .float(negative ? -d : d)
        }
    }
}

private extension String {
    /// Python allows `1_000`; only between digits, which Int64() then reads.
    var replacingUnderscores: String {
        guard contains("_") else { return self }
        return String(filter { $0 != "_" })
    }
}
