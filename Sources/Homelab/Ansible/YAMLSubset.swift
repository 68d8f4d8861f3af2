/// A YAML reader for what Ansible inventories are written in, and nothing
/// more: block mappings and sequences by indentation, plain, 'single' and
/// "double" quoted scalars, comments, one `---` at the top, `key: value`,
/// `key:` with a nested block (or a sequence at the key's indentation),
/// `- item`, empty values as null, one-line flow collections of scalars
/// (`[]`, `{}`, `[a, "b", 3]`, `{a: 1}`), anchors on block values
/// (`key: &name`), aliases (`key: *name`, `- *name`), merge keys
/// (`<<: *name`, `<<: [*a, *b]`) and block scalars (`|`, `|-`, `>`, and
/// Ansible's `!vault |`, kept as `{__ansible_vault: text}`, never decrypted;
/// blank and `#` lines inside a block scalar are dropped).
///
/// Anything else (other tags, anchors inside flow collections, several
/// documents, multi-line plain scalars, tabs in indentation) is refused with
/// an error naming the line, rather than read differently from a real YAML
/// parser.
/// Plain scalars are typed as PyYAML (YAML 1.1, what Ansible uses) types
/// them: `yes`/`no`/`on`/`off`/`true`/`false` are booleans, `~` and `null`
/// null, `010` octal, `1.5` a float.
public enum YAMLSubset {
    /// Parses one document. An empty document is `.null` at line 1.
    public static func parse(_ text: String) throws -> YAMLNode {
        var warnings: [String] = []
        return try parse(text, warnings: &warnings)
    }

    /// Parses one document; a key repeated in a mapping is a warning ("line
    /// N: ..."), and its last value wins in the place of its first, as in
    /// PyYAML.
    public static func parse(_ text: String, warnings: inout [String]) throws -> YAMLNode {
        var parser = Parser(lines: try logicalLines(text))
        let node = try parser.document()
        warnings += parser.warnings
        return node
    }
}

/// A YAML value without its place in the file.
public indirect enum YAMLValue: Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case list([YAMLValue])
    case map([String: YAMLValue])

    /// The name an error message uses for this kind of value.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .float: return "number"
        case .string: return "string"
        case .list: return "list"
        case .map: return "mapping"
        }
    }

    /// Scalars as text (for messages and host names); collections by type.
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .float(let d): return String(d)
        case .string(let s): return s
        case .list, .map: return typeName
        }
    }
}

/// A value read from YAML with the line it starts on; mappings keep their
/// keys in file order (a repeated key appears twice; the later one wins
/// in `value`, as in PyYAML).
public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        case scalar(YAMLValue)
        case list([YAMLNode])
        case map([YAMLEntry])
    }

    public var content: Content
    /// 1-based line number.
    public var line: Int

    public init(_ content: Content, line: Int) {
        self.content = content
        self.line = line
    }

    /// The value without lines.
    public var value: YAMLValue {
        switch content {
        case .scalar(let v): return v
        case .list(let items): return .list(items.map(\.value))
        case .map(let entries):
            var m: [String: YAMLValue] = [:]
            for e in entries { m[e.key] = e.value.value }
            return .map(m)
        }
    }

    public var isNull: Bool {
        if case .scalar(.null) = content { return true }
        return false
    }

    /// The entries of a mapping, or nil.
    public var entries: [YAMLEntry]? {
        if case .map(let e) = content { return e }
        return nil
    }
}

public struct YAMLEntry: Sendable {
    public var key: String
    public var value: YAMLNode
    public var line: Int
}

/// What is wrong with the YAML, and where.
public struct YAMLError: Error, Equatable, Sendable, CustomStringConvertible {
    public let line: Int
    public let message: String
    public var description: String { "line \(line): \(message)" }
}

// ---- Lines ----------------------------------------------------------------------

/// A line with content: blank and comment-only lines are dropped, the
/// indentation counted, a trailing CR removed.
struct YAMLLine {
    var number: Int
    var indent: Int
    var text: [UInt8]  // after the indentation, trailing spaces kept
}

private let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), hash = UInt8(ascii: "#")
private let colon = UInt8(ascii: ":"), dash = UInt8(ascii: "-"), quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'")

private func isBlank(_ c: UInt8) -> Bool { c == space || c == tab }

func logicalLines(_ text: String) throws -> [YAMLLine] {
    var bytes = Array(text.utf8)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    var lines: [YAMLLine] = []
    var number = 0
    var started = false  // content seen: a later `---` is a second document
    var ended = false    // `...` seen
    for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        number += 1
        var line = Array(raw)
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        let firstNonBlank = line.firstIndex { !isBlank($0) }
        guard let first = firstNonBlank, line[first] != hash else { continue }
        let indent = line.prefix { $0 == space }.count
        if line[indent] == tab || (indent < first && line[indent..<first].contains(tab)) {
            throw YAMLError(line: number, message: "tab in indentation; YAML indents with spaces only")
        }
        let body = Array(line[indent...])
        if indent == 0 && isMarker(body, "---") {
            let rest = body.dropFirst(3).drop(while: isBlank)
            if started || ended {
                throw YAMLError(line: number, message: "a second YAML document ('---'); an inventory is one document")
            }
            if !rest.isEmpty && rest.first != hash {
                throw YAMLError(line: number, message: "content after '---' on the same line is not supported; start it on the next line")
            }
            started = true
            continue
        }
        if indent == 0 && isMarker(body, "...") {
            ended = true
            continue
        }
        if indent == 0 && body.first == UInt8(ascii: "%") {
            throw YAMLError(line: number, message: "YAML directives ('%...') are not supported")
        }
        if ended {
            throw YAMLError(line: number, message: "content after the end of the document ('...')")
        }
        started = true
        lines.append(YAMLLine(number: number, indent: indent, text: body))
    }
    return lines
}

/// `---` or `...` alone or followed by blanks.
private func isMarker(_ body: [UInt8], _ marker: String) -> Bool {
    let m = Array(marker.utf8)
    guard body.starts(with: m) else { return false }
    return body.count == 3 || isBlank(body[3])
}

// ---- Block structure ------------------------------------------------------------

struct Parser {
    var lines: [YAMLLine]
    var index = 0
    var warnings: [String] = []
    /// Nodes named by `&name`, for the aliases (`*name`) after them.
    var anchors: [String: YAMLNode] = [:]

    init(lines: [YAMLLine]) { self.lines = lines }

    mutating func document() throws -> YAMLNode {
        guard !lines.isEmpty else { return YAMLNode(.scalar(.null), line: 1) }
        let node = try block(indent: lines[0].indent)
        if index < lines.count {
            let line = lines[index]
            throw YAMLError(line: line.number, message: "bad indentation: this line is not inside the block above it")
        }
        return node
    }

    /// The node whose lines start at column `indent` (the current line's).
    mutating func block(indent: Int) throws -> YAMLNode {
        let line = lines[index]
        if isSequenceItem(line.text) { return try sequence(indent: indent) }
        if try mappingKey(line) != nil { return try mapping(indent: indent) }
        // A lone scalar (or flow collection) as the whole block.
        let node = try inlineValue(line.text[...], line: line.number)
        index += 1
        if index < lines.count && lines[index].indent > indent {
            throw YAMLError(line: lines[index].number,
                            message: "bad indentation, or a value over several lines (not supported)")
        }
        return node
    }

    func isSequenceItem(_ text: [UInt8]) -> Bool {
        text.first == dash && (text.count == 1 || isBlank(text[1]))
    }

    /// `underKey`: the list is the value of a key at the same column
    /// ("key:\n- a"), so a line at that column that is no item ends it.
    mutating func sequence(indent: Int, underKey: Bool = false) throws -> YAMLNode {
        let startLine = lines[index].number
        var items: [YAMLNode] = []
        while index < lines.count {
            let line = lines[index]
            if line.indent < indent { break }
            if line.indent > indent {
                throw YAMLError(line: line.number, message: "bad indentation: expected '- item' at column \(indent + 1)")
            }
            guard isSequenceItem(line.text) else {
                if underKey { break }
                throw YAMLError(line: line.number, message: "expected '- item' in this list (a list and a mapping cannot share a level)")
            }
            let rest = line.text.dropFirst().drop(while: isBlank)
            if rest.isEmpty || rest.first == hash {
                index += 1
                if index < lines.count && lines[index].indent > indent {
                    items.append(try block(indent: lines[index].indent))
                } else {
                    items.append(YAMLNode(.scalar(.null), line: line.number))
                }
            } else {
                let (anchor, content) = try splitAnchor(rest, line: line.number)
                let node: YAMLNode
                if let special = try specialValue(content, line: line.number, parentIndent: indent, advance: true) {
                    node = special
                } else if content.isEmpty || content.first == hash {  // "- &name" with its block below
                    index += 1
                    node = index < lines.count && lines[index].indent > indent
                        ? try block(indent: lines[index].indent) : YAMLNode(.scalar(.null), line: line.number)
                } else {
                    // The item's content starts at its own column: read it as a
                    // line of its own there ("- a: 1" then "  b: 2" is one mapping).
                    let column = line.indent + (line.text.count - content.count)
                    lines[index] = YAMLLine(number: line.number, indent: column, text: Array(content))
                    node = try block(indent: column)
                }
                if let anchor { anchors[anchor] = node }
                items.append(node)
            }
        }
        return YAMLNode(.list(items), line: startLine)
    }

    mutating func mapping(indent: Int) throws -> YAMLNode {
        let startLine = lines[index].number
        var entries: [YAMLEntry] = []
        var merges: [(YAMLNode, Int)] = []
        while index < lines.count {
            let line = lines[index]
            if line.indent < indent { break }
            if line.indent > indent {
                throw YAMLError(line: line.number, message: "bad indentation: expected a key at column \(indent + 1)")
            }
            if isSequenceItem(line.text) {
                throw YAMLError(line: line.number, message: "expected 'key: value', found a list item (a list and a mapping cannot share a level)")
            }
            guard let (key, rest) = try mappingKey(line) else {
                throw YAMLError(line: line.number, message: "expected 'key: value' or 'key:'")
            }
            index += 1
            var value: YAMLNode
            let (anchor, remainder) = try splitAnchor(rest.drop(while: isBlank), line: line.number)
            if let special = try specialValue(remainder, line: line.number, parentIndent: indent, advance: false) {
                value = special
            } else if remainder.isEmpty || remainder.first == hash {
                if index < lines.count && lines[index].indent > indent {
                    value = try block(indent: lines[index].indent)
                } else if index < lines.count && lines[index].indent == indent && isSequenceItem(lines[index].text) {
                    value = try sequence(indent: indent, underKey: true)  // "key:\n- a": a list at the key's column
                } else {
                    value = YAMLNode(.scalar(.null), line: line.number)
                }
            } else {
                value = try inlineValue(remainder, line: line.number)
                if index < lines.count && lines[index].indent > indent {
                    throw YAMLError(line: lines[index].number,
                                    message: "bad indentation: '\(key)' on line \(line.number) already has a value "
                                        + "(values over several lines are not supported)")
                }
            }
            if let anchor { anchors[anchor] = value }
            if key == "<<" { merges.append((value, line.number)); continue }
            add(YAMLEntry(key: key, value: value, line: line.number), to: &entries)
        }
        // `<<: *base` (or a list of them): the keys not written here, the first merge winning.
        for (merge, line) in merges {
            var sources: [YAMLNode] = []
            switch merge.content {
            case .map: sources = [merge]
            case .list(let items): sources = items
            default: throw YAMLError(line: line, message: "'<<' merges a mapping (an alias like *base), not a \(merge.value.typeName)")
            }
            for source in sources {
                guard let more = source.entries else {
                    throw YAMLError(line: line, message: "'<<' merges mappings only, not a \(source.value.typeName)")
                }
                for e in more where !entries.contains(where: { $0.key == e.key }) { entries.append(e) }
            }
        }
        return YAMLNode(.map(entries), line: startLine)
    }

    /// `&name ` before a value: the anchor's name and what follows it.
    func splitAnchor(_ text: ArraySlice<UInt8>, line: Int) throws -> (String?, ArraySlice<UInt8>) {
        guard text.first == UInt8(ascii: "&") else { return (nil, text) }
        let name = text.dropFirst().prefix { !isBlank($0) }
        if name.isEmpty { throw YAMLError(line: line, message: "an anchor ('&') needs a name") }
        return (String(decoding: name, as: UTF8.self), text.dropFirst(1 + name.count).drop(while: isBlank))
    }

    /// An alias (`*name`), or a block scalar (`|`, `|-`, `>`, `>-`, perhaps
    /// tagged `!vault`, which Ansible leaves encrypted: `{__ansible_vault: text}`)
    /// whose lines follow, deeper than `parentIndent`; nil for other values.
    /// `advance`: the current line has not been consumed yet (a list item).
    mutating func specialValue(_ text: ArraySlice<UInt8>, line: Int, parentIndent: Int, advance: Bool) throws -> YAMLNode? {
        let (anchor, text) = try splitAnchor(text, line: line)
        var node: YAMLNode?
        if text.first == UInt8(ascii: "*") {
            let name = plainText(text.dropFirst())
            guard let target = anchors[String(decoding: name, as: UTF8.self)] else {
                throw YAMLError(line: line, message: "alias '*\(String(decoding: name, as: UTF8.self))' names no anchor defined above it")
            }
            if advance { index += 1 }
            node = YAMLNode(target.content, line: line)
        } else {
            var body = text
            let vault = body.starts(with: "!vault".utf8) && (body.count == 6 || isBlank(body[body.startIndex + 6]))
            if vault { body = body.dropFirst(6).drop(while: isBlank) }
            guard let style = body.first, style == UInt8(ascii: "|") || style == UInt8(ascii: ">") else {
                if vault { throw YAMLError(line: line, message: "'!vault' is followed by a block scalar ('|')") }
                return nil
            }
            let chomp = plainText(body.dropFirst())
            let strip = chomp.first == UInt8(ascii: "-")
            if advance { index += 1 }
            var rows: [YAMLLine] = []
            while index < lines.count && lines[index].indent > parentIndent { rows.append(lines[index]); index += 1 }
            let base = rows.map(\.indent).min() ?? 0
            let texts = rows.map { String(repeating: " ", count: $0.indent - base) + String(decoding: $0.text, as: UTF8.self) }
            var value = style == UInt8(ascii: "|") ? texts.joined(separator: "\n") : texts.joined(separator: " ")
            if !strip && !texts.isEmpty { value += "\n" }
            node = YAMLNode(.scalar(.string(value)), line: line)
            if vault { node = YAMLNode(.map([YAMLEntry(key: "__ansible_vault", value: node!, line: line)]), line: line) }
        }
        if let anchor, let node { anchors[anchor] = node }
        return node
    }

    /// A repeated key keeps its first place and takes the later value.
    mutating func add(_ entry: YAMLEntry, to entries: inout [YAMLEntry]) {
        if let i = entries.firstIndex(where: { $0.key == entry.key }) {
            warnings.append("line \(entry.line): duplicate key '\(entry.key)' (its value on line \(entries[i].line) is ignored)")
            entries[i] = YAMLEntry(key: entry.key, value: entry.value, line: entry.line)
        } else {
            entries.append(entry)
        }
    }

    /// The key of a `key: value` line and what follows the colon, or nil
    /// when the line is not a mapping entry.
    func mappingKey(_ line: YAMLLine) throws -> (String, ArraySlice<UInt8>)? {
        let text = line.text
        guard let first = text.first else { return nil }
        if first == quote || first == apostrophe {
            let (key, end) = try quoted(text[...], line: line.number)
            let after = text[end...].drop(while: isBlank)
            guard after.first == colon else { return nil }
            let rest = after.dropFirst()
            guard rest.isEmpty || isBlank(rest.first!) else { return nil }
            return (key, rest)
        }
        if first == UInt8(ascii: "[") || first == UInt8(ascii: "{") { return nil }  // a flow value
        if first == UInt8(ascii: "?") && (text.count == 1 || isBlank(text[1])) {
            throw YAMLError(line: line.number, message: "complex keys ('? ') are not supported")
        }
        var i = 0
        while i < text.count {
            let c = text[i]
            if c == hash && i > 0 && isBlank(text[i - 1]) { return nil }
            if c == colon && (i + 1 == text.count || isBlank(text[i + 1])) {
                let keyText = trimmed(text[..<i])
                if keyText.isEmpty { throw YAMLError(line: line.number, message: "empty key before ':'") }
                try checkPlainStart(keyText, line: line.number)
                return (String(decoding: keyText, as: UTF8.self), text[(i + 1)...])
            }
            i += 1
        }
        return nil
    }

    // ---- Scalars and flow collections -----------------------------------------

    /// A value written on the line after `key: ` or `- `.
    func inlineValue(_ text: ArraySlice<UInt8>, line: Int) throws -> YAMLNode {
        // Ansible's `!unsafe "text"` (labsh's export writes it): the text, never a template.
        if let rest = afterUnsafeTag(text) { return try inlineValue(rest, line: line) }
        guard let first = text.first else { return YAMLNode(.scalar(.null), line: line) }
        if first == quote || first == apostrophe {
            let (s, end) = try quoted(text, line: line)
            try expectEnd(text[end...], line: line, after: "the quoted value")
            return YAMLNode(.scalar(.string(s)), line: line)
        }
        if first == UInt8(ascii: "[") || first == UInt8(ascii: "{") {
            return try flow(text, line: line)
        }
        let plain = plainText(text)
        try checkPlainStart(plain, line: line)
        if plain.indices.contains(where: { plain[$0] == colon && ($0 + 1 == plain.endIndex || isBlank(plain[$0 + 1])) }) {
            throw YAMLError(line: line, message: "': ' inside a plain value (quote the value, or put the mapping on its own lines)")
        }
        return YAMLNode(.scalar(resolve(plain)), line: line)
    }

    /// A plain scalar up to a comment, without trailing blanks.
    func plainText(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var end = text.endIndex
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == hash && i > text.startIndex && isBlank(text[i - 1]) { end = i; break }
            i += 1
        }
        return trimmed(text[text.startIndex..<end])
    }

    /// What follows `!unsafe ` when a quoted string does, else nil.
    func afterUnsafeTag(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard text.starts(with: "!unsafe ".utf8) else { return nil }
        let rest = text.dropFirst(8).drop(while: isBlank)
        return rest.first == quote || rest.first == apostrophe ? rest : nil
    }

    func checkPlainStart(_ text: ArraySlice<UInt8>, line: Int) throws {
        guard let c = text.first else { return }
        switch c {
        case UInt8(ascii: "&"): throw YAMLError(line: line, message: "anchors ('&name') are not supported")
        case UInt8(ascii: "*"): throw YAMLError(line: line, message: "aliases ('*name') are not supported")
        case UInt8(ascii: "!"): throw YAMLError(line: line, message: "tags ('!tag') are not supported")
        case UInt8(ascii: "|"), UInt8(ascii: ">"):
            throw YAMLError(line: line, message: "block scalars ('|' and '>') are not supported; use a quoted string")
        case UInt8(ascii: "@"), UInt8(ascii: "`"):
            throw YAMLError(line: line, message: "'\(Character(Unicode.Scalar(c)))' cannot start a plain value; quote it")
        case UInt8(ascii: "%"): throw YAMLError(line: line, message: "'%' cannot start a plain value; quote it")
        case UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ","):
            throw YAMLError(line: line, message: "unexpected '\(Character(Unicode.Scalar(c)))'")
        default: break
        }
    }

    /// Nothing but blanks and a comment may follow.
    func expectEnd(_ rest: ArraySlice<UInt8>, line: Int, after what: String) throws {
        let r = rest.drop(while: isBlank)
        guard r.isEmpty || (r.first == hash && r.count < rest.count) else {
            throw YAMLError(line: line, message: "unexpected text after \(what): '\(String(decoding: r, as: UTF8.self))'")
        }
    }

    /// A quoted scalar starting at `text.first`; returns it and the index after the closing quote.
    func quoted(_ text: ArraySlice<UInt8>, line: Int) throws -> (String, Int) {
        let q = text.first!
        var out: [UInt8] = []
        var i = text.startIndex + 1
        while i < text.endIndex {
            let c = text[i]
            if q == apostrophe {
                if c == apostrophe {
                    if i + 1 < text.endIndex && text[i + 1] == apostrophe { out.append(apostrophe); i += 2; continue }
                    return (String(decoding: out, as: UTF8.self), i + 1)
                }
                out.append(c)
                i += 1
                continue
            }
            if c == quote { return (String(decoding: out, as: UTF8.self), i + 1) }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < text.endIndex else { break }
                let e = text[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"), tab: out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "0"): out.append(0)
                case UInt8(ascii: "a"): out.append(0x07)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "e"): out.append(0x1B)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "v"): out.append(0x0B)
                case space, quote, UInt8(ascii: "/"), UInt8(ascii: "\\"): out.append(e)
                case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let n = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
                    guard i + n <= text.endIndex,
                          let code = UInt32(String(decoding: text[i..<(i + n)], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(code) else {
                        throw YAMLError(line: line, message: "bad escape '\\\(Character(Unicode.Scalar(e)))' in a double-quoted value")
                    }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    i += n
                default:
                    throw YAMLError(line: line, message: "unknown escape '\\\(Character(Unicode.Scalar(e)))' in a double-quoted value")
                }
                continue
            }
            out.append(c)
            i += 1
        }
        throw YAMLError(line: line, message: "unterminated quoted value (quoted values must end on their line)")
    }

    /// `[a, b]` or `{k: v}` of scalars, on one line.
    func flow(_ text: ArraySlice<UInt8>, line: Int) throws -> YAMLNode {
        let isList = text.first == UInt8(ascii: "[")
        let close = isList ? UInt8(ascii: "]") : UInt8(ascii: "}")
        var i = text.startIndex + 1
        var items: [YAMLNode] = []
        var entries: [YAMLEntry] = []
        func skipBlanks() { while i < text.endIndex && isBlank(text[i]) { i += 1 } }
        func scalar(stopAtColon: Bool) throws -> YAMLValue {
            skipBlanks()
            if let rest = afterUnsafeTag(text[i...]) { i = rest.startIndex }
            guard i < text.endIndex else {
                throw YAMLError(line: line, message: "unterminated flow collection (they must end on their line)")
            }
            let c = text[i]
            if c == quote || c == apostrophe {
                let (s, end) = try quoted(text[i...], line: line)
                i = end
                return .string(s)
            }
            if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
                throw YAMLError(line: line, message: "nested flow collections are not supported; use block style")
            }
            let start = i
            while i < text.endIndex {
                let d = text[i]
                if d == UInt8(ascii: ",") || d == close || d == UInt8(ascii: "[") || d == UInt8(ascii: "{")
                    || d == UInt8(ascii: "]") || d == UInt8(ascii: "}") { break }
                if stopAtColon && d == colon && (i + 1 == text.endIndex || isBlank(text[i + 1]) || text[i + 1] == close
                                                 || text[i + 1] == UInt8(ascii: ",")) { break }
                if d == hash && i > start && isBlank(text[i - 1]) {
                    throw YAMLError(line: line, message: "unterminated flow collection (they must end on their line)")
                }
                i += 1
            }
            let plain = trimmed(text[start..<i])
            try checkPlainStart(plain, line: line)
            return resolve(plain)
        }
        skipBlanks()
        if i < text.endIndex && text[i] == close {
            i += 1
        } else {
            while true {
                if isList {
                    let v = try scalar(stopAtColon: false)
                    items.append(YAMLNode(.scalar(v), line: line))
                } else {
                    let k = try scalar(stopAtColon: true)
                    skipBlanks()
                    var v = YAMLValue.null
                    if i < text.endIndex && text[i] == colon {
                        i += 1
                        v = try scalar(stopAtColon: false)
                    }
                    let entry = YAMLEntry(key: k.description, value: YAMLNode(.scalar(v), line: line), line: line)
                    if let j = entries.firstIndex(where: { $0.key == entry.key }) { entries[j] = entry } else { entries.append(entry) }
                }
                skipBlanks()
                guard i < text.endIndex else {
                    throw YAMLError(line: line, message: "unterminated flow collection (they must end on their line)")
                }
                if text[i] == close { i += 1; break }
                guard text[i] == UInt8(ascii: ",") else {
                    throw YAMLError(line: line, message: "expected ',' or '\(Character(Unicode.Scalar(close)))' in a flow collection")
                }
                i += 1
                skipBlanks()
                if i < text.endIndex && text[i] == close { i += 1; break }  // trailing comma
            }
        }
        try expectEnd(text[i...], line: line, after: "the flow collection")
        return YAMLNode(isList ? .list(items) : .map(entries), line: line)
    }

    func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var t = s
        while let f = t.first, isBlank(f) { t = t.dropFirst() }
        while let l = t.last, isBlank(l) { t = t.dropLast() }
        return t
    }

    /// The type of a plain scalar, as YAML 1.1 (PyYAML) resolves it.
    func resolve(_ bytes: ArraySlice<UInt8>) -> YAMLValue {
        let s = String(decoding: bytes, as: UTF8.self)
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return .bool(true)
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        default: break
        }
        if let i = YAMLSubset.integer(s) { return i }
        if let d = YAMLSubset.float(s) { return .float(d) }
        return .string(s)
    }
}

extension YAMLSubset {
    /// YAML 1.1 integers: decimal, 0x hex, 0b binary, 0 octal, with '_'.
    static func integer(_ text: String) -> YAMLValue? {
        var s = Substring(text)
        var negative = false
        if let f = s.first, f == "-" || f == "+" { negative = f == "-"; s = s.dropFirst() }
        guard let first = s.first, first.isASCII, first.isNumber else { return nil }
        var radix = 10
        if s.hasPrefix("0x") { radix = 16; s = s.dropFirst(2) }
        else if s.hasPrefix("0b") { radix = 2; s = s.dropFirst(2) }
        else if s.count > 1 && s.hasPrefix("0") { radix = 8; s = s.dropFirst() }
        let digits = s.filter { $0 != "_" }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
        guard let magnitude = UInt64(digits, radix: radix) else {
            return digits.allSatisfy({ $0.isASCII && $0.isNumber }) && radix == 10 ? .float(Double(text.filter { $0 != "_" }) ?? 0) : nil
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return .float(-Double(magnitude)) }
            return .int(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
        }
        guard magnitude <= UInt64(Int64.max) else { return .float(Double(magnitude)) }
        return .int(Int64(magnitude))
    }

    /// YAML 1.1 floats need a '.': `1.5`, `-0.5e+3`, `.5`; not `1e3`.
    static func float(_ text: String) -> Double? {
        var s = Substring(text)
        if let f = s.first, f == "-" || f == "+" { s = s.dropFirst() }
        guard let dot = s.firstIndex(of: ".") else { return nil }
        let whole = s[..<dot], rest = s[s.index(after: dot)...]
        let fraction: Substring, exponent: Substring
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            fraction = rest[..<e]
            exponent = rest[rest.index(after: e)...]
            guard let sign = exponent.first, sign == "+" || sign == "-",
                  exponent.count > 1, exponent.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        } else {
            fraction = rest
            exponent = ""
        }
        let digitsOK: (Substring) -> Bool = { $0.allSatisfy { ($0.isASCII && $0.isNumber) || $0 == "_" } }
        guard digitsOK(whole), digitsOK(fraction), !(whole.isEmpty && fraction.isEmpty) else { return nil }
        if whole.isEmpty && fraction.first == "_" { return nil }
        if let f = whole.first, f == "_" { return nil }
        return Double(text.filter { $0 != "_" })
    }
}
