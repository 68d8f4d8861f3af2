/// A value read from an inventory file, as plain data. The Lua side turns
/// the file's table into this, so the model knows nothing of Lua. Not
/// `indirect`: arrays and dictionaries are references already, and a box
/// per value would cost an allocation for every field of the inventory.
public enum InventoryValue: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case boolean(Bool)
    case list([InventoryValue])
    case map(InventoryFields)

    /// The name an error message uses for this kind of value.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .number: return "number"
        case .boolean: return "boolean"
        case .list: return "list"
        case .map: return "table"
        }
    }
}

/// The named fields of an inventory table. A record has a dozen fields at
/// most, so a list searched by length, then bytes, beats a Dictionary: no
/// hashing, one allocation per record (an inventory can hold 10,000).
public struct InventoryFields: Equatable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: InventoryValue)
    private var entries: [Element] = []

    public init() {}

    public init(minimumCapacity: Int) { entries.reserveCapacity(minimumCapacity) }

    public init(dictionaryLiteral elements: (String, InventoryValue)...) {
        for (key, value) in elements { self[key] = value }
    }

    public init(_ dictionary: [String: InventoryValue]) {
        entries = dictionary.map { (key: $0.key, value: $0.value) }
    }

    public subscript(key: String) -> InventoryValue? {
        get { index(of: key).map { entries[$0].value } }
        set {
            switch (index(of: key), newValue) {
            case let (i?, value?): entries[i].value = value
            case let (i?, nil): entries.remove(at: i)
            case let (nil, value?): entries.append((key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    /// Adds a field the caller knows is new (the keys of a Lua table are
    /// unique), without searching for it first.
    public mutating func appendNew(_ key: String, _ value: InventoryValue) {
        entries.append((key: key, value: value))
    }

    public var keys: [String] { entries.map(\.key) }
    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }
    public func makeIterator() -> IndexingIterator<[Element]> { entries.makeIterator() }

    private func index(of key: String) -> Int? {
        let length = key.utf8.count
        return entries.firstIndex { $0.key.utf8.count == length && $0.key == key }
    }

    /// The same fields with the same values, in any order.
    public static func == (a: InventoryFields, b: InventoryFields) -> Bool {
        a.count == b.count && a.allSatisfy { b[$0.key] == $0.value }
    }
}

/// Where a value sits in the inventory: `nodes[3].ram` (indices from 1, as in Lua).
public struct FieldPath: Hashable, Sendable, CustomStringConvertible {
    enum Step: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    var steps: [Step] = []

    public init() {}

    func appending(_ key: String) -> FieldPath {
        var p = self
        p.steps.append(.key(key))
        return p
    }

    func appending(index: Int) -> FieldPath {
        var p = self
        p.steps.append(.index(index))
        return p
    }

    public var description: String {
        var text = ""
        for step in steps {
            switch step {
            case .key(let k): text += text.isEmpty ? k : "." + k
            case .index(let i): text += "[\(i)]"
            }
        }
        return text.isEmpty ? "(top level)" : text
    }
}

/// One finding about an inventory: an error stops the load, a warning does not.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public let severity: Severity
    public let path: FieldPath
    public let message: String

    public var description: String { "\(path): \(message)" }
}

/// An inventory that did not load: every error found, with the file's name.
public struct InventoryError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let diagnostics: [Diagnostic]

    public var description: String {
        diagnostics.filter { $0.severity == .error }
            .map { "\(file): \($0)" }.joined(separator: "\n")
    }
}
