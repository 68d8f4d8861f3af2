import CLua
import CLuaShim
import Spelling

/// The one reader for a table of named options (`lab.http.get(url, {timeout
/// = 5})`): a function declares the keys it takes, each with its type,
/// choices, default and whether it is required, and the reader refuses the
/// rest in the caller's words: "bad argument #2 to 'get' (unknown option
/// 'tiemout' (did you mean 'timeout'?))". What a value means beyond its type
/// (a range, a format) the function checks, and raises with `fail`.
public struct LuaOptions {
    /// One key a function takes.
    public struct Key {
        public enum Kind {
            case string, integer, number, boolean, function, table
            /// Any value: the function checks it.
            case any
            /// Any value, left in Lua (large, or maybe cyclic): the function
            /// reads it from the table itself.
            case raw
        }

        public let name: String
        public let kind: Kind
        /// For a string: the only values it may take (empty: any).
        public var choices: [String] = []
        public var required = false
        /// What a missing key reads as.
        public var defaultValue: LuaValue?

        public static func string(_ name: String, choices: [String] = [], required: Bool = false,
                                  default value: String? = nil) -> Key {
            Key(name: name, kind: .string, choices: choices, required: required, defaultValue: value.map(LuaValue.str))
        }
        public static func integer(_ name: String, default value: Int64? = nil) -> Key {
            Key(name: name, kind: .integer, defaultValue: value.map(LuaValue.integer))
        }
        public static func boolean(_ name: String, default value: Bool? = nil) -> Key {
            Key(name: name, kind: .boolean, defaultValue: value.map(LuaValue.boolean))
        }
        public static func number(_ name: String) -> Key { Key(name: name, kind: .number) }
        public static func function(_ name: String) -> Key { Key(name: name, kind: .function) }
        public static func any(_ name: String) -> Key { Key(name: name, kind: .any) }
        public static func raw(_ name: String) -> Key { Key(name: name, kind: .raw) }
    }

    /// What a function takes, and how its messages name the table's keys:
    /// `noun` "option" or "key" (a retention policy's), `prefix` before a
    /// key's name ("opts." in lab.gen).
    public struct Declaration {
        public let keys: [Key]
        let noun: String, prefix: String

        public init(_ keys: [Key], noun: String = "option", prefix: String = "") {
            (self.keys, self.noun, self.prefix) = (keys, noun, prefix)
        }
    }

    /// The argument the errors blame, and before every message, in a list
    /// of tables, the item's place ("requests[2]: ").
    let argument: Int32, position: String?
    var values: [String: LuaValue] = [:]

    /// Reads the options table at stack `index` (default: `argument`); nil
    /// or absent reads as an empty table.
    public init(_ call: LuaCall, _ argument: Int32, _ declaration: Declaration,
                at index: Int32? = nil, position: String? = nil) throws {
        (self.argument, self.position) = (argument, position)
        let L = call.L, table = lua_absindex(L, index ?? argument)
        let (noun, prefix, names) = (declaration.noun, declaration.prefix, declaration.keys.map(\.name))
        if lua_type(L, table) > LUA_TNIL {
            guard lua_type(L, table) == LUA_TTABLE else { throw fail("table expected, got \(call.typeName(table))") }
            lua_pushnil(L)
            while lua_next(L, table) != 0 {
                defer { lh_pop(L, 1) }
                guard lua_type(L, -2) == LUA_TSTRING, let name = LuaState.string(L, -2) else {
                    throw fail("\(noun)s are named (\(names.joined(separator: ", "))), not a list")
                }
                guard let key = declaration.keys.first(where: { $0.name == name }) else {
                    // Few names are listed whole; among more, the one a typo meant.
                    if names.count > 6, let meant = Suggestion.closest(to: name, in: names) {
                        throw fail("unknown \(noun) '\(name)' (did you mean '\(meant)'?)")
                    }
                    throw fail("unknown \(noun) '\(name)' (\(noun)s are \(names.joined(separator: ", ")))")
                }
                values[name] = try read(call, key, prefix + name)
            }
        }
        for key in declaration.keys where values[key.name] == nil {
            if key.required { throw fail("\(prefix)\(key.name) is missing") }
            values[key.name] = key.defaultValue
        }
    }

    /// The value on top of the stack, checked against `key`.
    private func read(_ call: LuaCall, _ key: Key, _ shown: String) throws -> LuaValue {
        let L = call.L, type = lua_type(L, -1)
        var whole: Int32 = 0  // an integer, or a float with an integer value
        if type == LUA_TNUMBER { _ = lh_tointeger(L, -1, &whole) }
        let expected: String? = switch key.kind {
        case .string: type == LUA_TSTRING ? nil : "a string"
        case .integer: whole != 0 ? nil : "an integer"
        case .number: type == LUA_TNUMBER ? nil : "a number"
        case .boolean: type == LUA_TBOOLEAN ? nil : "a boolean"
        case .function: type == LUA_TFUNCTION ? nil : "a function"
        case .table: type == LUA_TTABLE ? nil : "a table"
        case .any, .raw: nil
        }
        if let expected { throw fail("\(shown) must be \(expected)") }
        if key.kind == .raw { return .boolean(true) }  // present; the value stays in Lua
        let value = try call.value(-1)
        if !key.choices.isEmpty, let text = value.stringValue, !key.choices.contains(text) {
            throw fail("\(shown) '\(text)' is not one of \(key.choices.joined(separator: ", "))")
        }
        if key.kind == .integer, case .number(let d) = value { return .integer(Int64(d)) }
        return value
    }

    /// "bad argument #n to 'f' (why)", after the position in a list.
    public func fail(_ why: String) -> LuaRaise {
        .argument(argument, (position.map { $0 + ": " } ?? "") + why)
    }

    /// The value of `name` (its default when absent); nil when neither.
    public subscript(name: String) -> LuaValue? { values[name] }
    public func string(_ name: String) -> String? { values[name]?.stringValue }
    public func integer(_ name: String) -> Int64? { values[name]?.intValue }
    public func number(_ name: String) -> Double? { values[name]?.numberValue }
    public func boolean(_ name: String) -> Bool? {
        if case .boolean(let b)? = values[name] { return b }
        return nil
    }
    /// A function (any value Lua keeps) as a reference.
    public func reference(_ name: String) -> LuaRef? {
        if case .reference(let r)? = values[name] { return r }
        return nil
    }
}

extension LuaCall {
    /// Argument `i`, optional, as one of `choices`: "severity 'P5' is not one
    /// of P1, P2, P3, P4".
    public func optChoice(_ i: Int32, _ choices: [String], what: String) throws -> String? {
        guard let text = try optString(i) else { return nil }
        if choices.contains(text) { return text }
        throw LuaRaise.argument(i, "\(what) '\(text)' is not one of \(choices.joined(separator: ", "))")
    }
}
