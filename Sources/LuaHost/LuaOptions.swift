import CLua
import CLuaShim
import Spelling

/// The one reader for a table of named options (`lab.http.get(url, {timeout
/// = 5})`, `prune(snapshots, policy, {semantics = "pbs"})`): the function
/// declares the keys it takes, each with its type, its choices, default and
/// whether it is required; the reader refuses anything else in the caller's
/// words, "bad argument #2 to 'get' (unknown option 'tiemout' (did you mean
/// 'timeout'?))". What a value means beyond its type (a range, a format) is
/// the function's to check, with `fail`.
public struct LuaOptions {
    /// One key a function takes.
    public struct Key {
        public enum Kind: Equatable {
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
        public static func integer(_ name: String, required: Bool = false, default value: Int64? = nil) -> Key {
            Key(name: name, kind: .integer, required: required, defaultValue: value.map(LuaValue.integer))
        }
        public static func number(_ name: String, default value: Double? = nil) -> Key {
            Key(name: name, kind: .number, defaultValue: value.map(LuaValue.number))
        }
        public static func boolean(_ name: String, default value: Bool? = nil) -> Key {
            Key(name: name, kind: .boolean, defaultValue: value.map(LuaValue.boolean))
        }
        public static func function(_ name: String) -> Key { Key(name: name, kind: .function) }
        public static func table(_ name: String, required: Bool = false) -> Key {
            Key(name: name, kind: .table, required: required)
        }
        public static func any(_ name: String) -> Key { Key(name: name, kind: .any) }
        public static func raw(_ name: String) -> Key { Key(name: name, kind: .raw) }
    }

    /// What a function takes, and how its messages name the table's keys:
    /// `noun` "option" or "key" (a retention policy's), `prefix` before a
    /// key's name ("opts." in lab.gen).
    public struct Declaration {
        public let keys: [Key]
        public let noun: String
        public let prefix: String

        public init(_ keys: [Key], noun: String = "option", prefix: String = "") {
            self.keys = keys
            self.noun = noun
            self.prefix = prefix
        }

        var names: [String] { keys.map(\.name) }
    }

    /// The argument the errors blame.
    public let argument: Int32
    /// Before every message, in a list of tables: "requests[2]: ".
    let position: String?
    let declaration: Declaration
    var values: [String: LuaValue] = [:]

    /// Reads the options table at stack `index` (default: `argument`); nil
    /// or absent reads as an empty table. Errors blame `argument`, after
    /// `position` in a list of tables.
    public init(_ call: LuaCall, _ argument: Int32, _ declaration: Declaration,
                at index: Int32? = nil, position: String? = nil) throws {
        self.argument = argument
        self.position = position
        self.declaration = declaration
        let L = call.L
        let table = lua_absindex(L, index ?? argument)
        if lua_type(L, table) > LUA_TNIL {
            guard lua_type(L, table) == LUA_TTABLE else { throw fail("table expected, got \(call.typeName(table))") }
            lua_pushnil(L)
            while lua_next(L, table) != 0 {
                defer { lh_pop(L, 1) }
                guard lua_type(L, -2) == LUA_TSTRING, let name = LuaState.string(L, -2) else {
                    throw fail("\(declaration.noun)s are named (\(declaration.names.joined(separator: ", "))), not a list")
                }
                guard let key = declaration.keys.first(where: { $0.name == name }) else { throw unknown(name) }
                values[name] = try read(call, key)
            }
        }
        for key in declaration.keys where values[key.name] == nil {
            if key.required { throw fail("\(declaration.prefix)\(key.name) is missing") }
            values[key.name] = key.defaultValue
        }
    }

    /// The value on top of the stack, checked against `key`.
    private func read(_ call: LuaCall, _ key: Key) throws -> LuaValue {
        let L = call.L
        let type = lua_type(L, -1)
        func expected(_ what: String) -> LuaRaise { fail("\(declaration.prefix)\(key.name) must be \(what)") }
        switch key.kind {
        case .string:
            guard type == LUA_TSTRING, let text = LuaState.string(L, -1) else { throw expected("a string") }
            if !key.choices.isEmpty && !key.choices.contains(text) {
                throw fail("\(declaration.prefix)\(key.name) '\(text)' is not one of \(key.choices.joined(separator: ", "))")
            }
        case .integer:
            var ok: Int32 = 0
            _ = lh_tointeger(L, -1, &ok)
            guard type == LUA_TNUMBER, ok != 0 else { throw expected("an integer") }
        case .number: guard type == LUA_TNUMBER else { throw expected("a number") }
        case .boolean: guard type == LUA_TBOOLEAN else { throw expected("a boolean") }
        case .function: guard type == LUA_TFUNCTION else { throw expected("a function") }
        case .table: guard type == LUA_TTABLE else { throw expected("a table") }
        case .any: break
        case .raw: return .boolean(true)  // present; the value stays in Lua
        }
        let value = try call.value(-1)
        if case .number(let d) = value, key.kind == .integer { return .integer(Int64(d)) }
        return value
    }

    /// Few names are listed whole (the right one is among them); among
    /// more, the one a typo meant, or all when none is near.
    private func unknown(_ name: String) -> LuaRaise {
        let names = declaration.names, noun = declaration.noun
        if names.count > 6, let meant = Suggestion.closest(to: name, in: names) {
            return fail("unknown \(noun) '\(name)' (did you mean '\(meant)'?)")
        }
        return fail("unknown \(noun) '\(name)' (\(noun)s are \(names.joined(separator: ", ")))")
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
    /// A function (or any value Lua keeps) as a reference.
    public func reference(_ name: String) -> LuaRef? {
        if case .reference(let r)? = values[name] { return r }
        return nil
    }
    public func table(_ name: String) -> LuaTable? {
        if case .table(let t)? = values[name] { return t }
        return nil
    }
}

extension LuaCall {
    /// Argument `i`, optional, as one of `choices`: "severity 'P5' is not one
    /// of P1, P2, P3, P4".
    public func optChoice(_ i: Int32, _ choices: [String], what: String) throws -> String? {
        guard let text = try optString(i) else { return nil }
        guard choices.contains(text) else {
            throw LuaRaise.argument(i, "\(what) '\(text)' is not one of \(choices.joined(separator: ", "))")
        }
        return text
    }
}
