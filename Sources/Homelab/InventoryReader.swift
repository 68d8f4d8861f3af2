/// Collects what is wrong while an inventory is read, so one load reports
/// every problem instead of the first.
final class DiagnosticLog {
    private(set) var items: [Diagnostic] = []

    func error(_ path: FieldPath, _ message: String) {
        items.append(Diagnostic(severity: .error, path: path, message: message))
    }

    func warning(_ path: FieldPath, _ message: String) {
        items.append(Diagnostic(severity: .warning, path: path, message: message))
    }

    var hasErrors: Bool { items.contains { $0.severity == .error } }
}

/// A table of the inventory being read against its declared fields: unknown
/// keys are errors (with a suggestion), and each accessor checks the type.
struct FieldTable {
    let fields: InventoryFields
    let path: FieldPath
    let log: DiagnosticLog

    /// nil (and an error logged) unless `value` is a table; an empty list
    /// counts as an empty table, since Lua cannot tell `{}` apart.
    init?(_ value: InventoryValue, at path: FieldPath, log: DiagnosticLog, allowed: [String]) {
        switch value {
        case .map(let m): fields = m
        case .list(let l) where l.isEmpty: fields = [:]
        default:
            log.error(path, "expected a table, got a \(value.typeName)")
            return nil
        }
        self.path = path
        self.log = log
        // Sorted only when something is wrong: the order of the messages.
        if fields.contains(where: { !FieldTable.isOne(of: allowed, $0.key) }) {
            for key in fields.keys.sorted() where !allowed.contains(key) {
                log.error(path.appending(InventoryText.visible(key)),
                          "unknown key '\(InventoryText.visible(key))'\(Suggestion.didYouMean(key, in: allowed))")
            }
        }
    }

    /// `words.contains(word)`, cheaply: most candidates differ in length,
    /// which spares String's full (Unicode-aware) comparison. Every record
    /// of an inventory goes through this.
    static func isOne(of words: [String], _ word: String) -> Bool {
        let count = word.utf8.count
        return words.contains { $0.utf8.count == count && $0 == word }
    }

    func has(_ key: String) -> Bool { fields[key] != nil }

    private func value(_ key: String, required: Bool) -> InventoryValue? {
        guard let v = fields[key] else {
            if required { log.error(path, "missing required field '\(key)'") }
            return nil
        }
        return v
    }

    private func wrongType(_ key: String, _ expected: String, _ got: InventoryValue) {
        log.error(path.appending(key), "expected \(expected), got a \(got.typeName)")
    }

    /// A string field: one line of text unless `multiline` (see InventoryText).
    func string(_ key: String, required: Bool = true, multiline: Bool = false) -> String? {
        guard let v = value(key, required: required) else { return nil }
        guard case .string(let s) = v else { wrongType(key, "a string", v); return nil }
        return checkedText(s, at: path.appending(key), multiline: multiline)
    }

    func integer(_ key: String, required: Bool = true, in range: ClosedRange<Int64>? = nil) -> Int? {
        guard let v = value(key, required: required) else { return nil }
        let n: Int64
        switch v {
        case .integer(let i): n = i
        case .number(let d) where d == d.rounded() && abs(d) < 9e15: n = Int64(d)
        default: wrongType(key, "an integer", v); return nil
        }
        if let range, !range.contains(n) {
            log.error(path.appending(key), "\(n) is out of range \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return Int(n)
    }

    func number(_ key: String, required: Bool = true) -> Double? {
        guard let v = value(key, required: required) else { return nil }
        switch v {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: wrongType(key, "a number", v); return nil
        }
    }

    func boolean(_ key: String, required: Bool = false) -> Bool? {
        guard let v = value(key, required: required) else { return nil }
        guard case .boolean(let b) = v else { wrongType(key, "true or false", v); return nil }
        return b
    }

    /// One of a fixed set of words.
    func choice(_ key: String, _ options: [String], required: Bool = true) -> String? {
        guard let s = string(key, required: required) else { return nil }
        guard FieldTable.isOne(of: options, s) else {
            log.error(path.appending(key), "'\(s)' is not one of \(options.joined(separator: ", "))\(Suggestion.didYouMean(s, in: options))")
            return nil
        }
        return s
    }

    /// Parses a string field; the parser's error becomes a diagnostic.
    func parsed<T>(_ key: String, required: Bool = true, _ parse: (String) throws -> T) -> T? {
        guard let s = string(key, required: required) else { return nil }
        do {
            return try parse(s)
        } catch {
            log.error(path.appending(key), "\(error)")
            return nil
        }
    }

    func size(_ key: String, required: Bool = true) -> ByteSize? {
        parsed(key, required: required) { try ByteSize(parsing: $0) }
    }

    func duration(_ key: String, required: Bool = true) -> Duration? {
        parsed(key, required: required) { try DurationText.parse($0) }
    }

    func address(_ key: String, required: Bool = true) -> IPAddress? {
        parsed(key, required: required) { try IPAddress(parsing: $0) }
    }

    /// The elements of a list field with their paths.
    func list(_ key: String, required: Bool = true) -> [(InventoryValue, FieldPath)]? {
        guard let v = value(key, required: required) else { return nil }
        switch v {
        case .list(let items):
            return items.enumerated().map { ($0.element, path.appending(key).appending(index: $0.offset + 1)) }
        case .map(let m) where m.isEmpty:
            return []
        default:
            wrongType(key, "a list", v)
            return nil
        }
    }

    func table(_ key: String, required: Bool = true, allowed: [String]) -> FieldTable? {
        guard let v = value(key, required: required) else { return nil }
        return FieldTable(v, at: path.appending(key), log: log, allowed: allowed)
    }

    func strings(_ key: String, required: Bool = false) -> [String]? {
        guard let items = list(key, required: required) else { return nil }
        var out: [String] = []
        for (v, p) in items {
            guard case .string(let s) = v else { log.error(p, "expected a string, got a \(v.typeName)"); continue }
            if let s = checkedText(s, at: p) { out.append(s) }
        }
        return out
    }

    /// A list of IP addresses; each one that does not parse is an error at its index.
    func addresses(_ key: String) -> [IPAddress] {
        (list(key, required: false) ?? []).compactMap { v, p in
            guard case .string(let s) = v else { log.error(p, "expected a string, got a \(v.typeName)"); return nil }
            do { return try IPAddress(parsing: s) } catch { log.error(p, "\(error)"); return nil }
        }
    }

    func integers(_ key: String, required: Bool = false) -> [Int]? {
        guard let items = list(key, required: required) else { return nil }
        var out: [Int] = []
        for (v, p) in items {
            guard case .integer(let i) = v else { log.error(p, "expected an integer, got a \(v.typeName)"); continue }
            out.append(Int(i))
        }
        return out
    }
}
