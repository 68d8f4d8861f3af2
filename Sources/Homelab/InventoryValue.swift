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
    case map([String: InventoryValue])

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
