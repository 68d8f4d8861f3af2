/// The Proxmox VE API's structure (schemas/pve-api-9.1.json, read as plain
/// data): which paths and methods exist, their parameters, the privilege
/// each needs. lab.pve checks every call against it before sending, so a
/// typo fails locally with the path's parameter list, not as a 400.
public struct ProxmoxSchema: Sendable {
    public struct Parameter: Sendable {
        public var name: String
        public var type: String
        public var optional: Bool
        public var choices: [String]
        public var minimum: Double?
        public var maximum: Double?
        public var maxLength: Int?
        public var defaultText: String?
        public var format: String?

        /// "net[n]" stands for net0, net1, ...
        func matches(_ given: String) -> Bool {
            guard name.hasSuffix("[n]") else { return name == given }
            let stem = name.dropLast(3)
            guard given.hasPrefix(stem), given.utf8.count > stem.utf8.count else { return false }
            return given.utf8.dropFirst(stem.utf8.count).allSatisfy { (0x30...0x39).contains($0) }
        }
    }

    public struct Operation: Sendable {
        public var method: String
        public var template: String
        public var parameters: [Parameter]
        /// False when the API refuses unknown parameters (additionalProperties: 0).
        public var openEnded: Bool
        public var permissions: InventoryValue?
        public var allowsToken: Bool
        public var returnType: String?
    }

    /// A call matched and checked: its operation, the path's variables
    /// (decoded) and the parameters as the form PVE reads (booleans 0/1).
    public struct Call: Sendable {
        public var operation: Operation
        public var variables: [(name: String, value: String)]
        public var fields: [(name: String, value: String)]
    }

    /// By template segment count, then template: "/nodes/{node}/qemu" has 3.
    private var templates: [Int: [(segments: [Substring], template: String)]] = [:]
    private var names: [String] = []
    private let operations: OperationTable

    /// The `paths` of a schema read whole (the tests' small schemas).
    public init(_ value: InventoryValue) throws {
        guard case .map(let top) = value, case .map(let paths)? = top["paths"] else {
            throw HomelabError("the Proxmox API schema has no 'paths'")
        }
        self.init(templates: paths.map(\.key)) { template in paths[template] ?? .map([:]) }
    }

    /// A schema whose templates are known and whose operations are read
    /// when a call first needs them: `methods(template)` gives the path's
    /// `{"GET": {...}, ...}` (labsh parses that part of the embedded text).
    public init(templates: [String], methods: @escaping (String) throws -> InventoryValue) {
        names = templates
        operations = OperationTable(read: methods)
        for template in templates {
            let segments = Self.segments(template)
            self.templates[segments.count, default: []].append((segments, template))
        }
    }

    /// The non-empty segments between slashes, split on UTF-8 bytes (a
    /// split by Character costs more than the rest of reading 431 paths).
    static func segments(_ template: String) -> [Substring] {
        var segments: [Substring] = []
        var start = template.utf8.startIndex
        for i in template.utf8.indices where template.utf8[i] == UInt8(ascii: "/") {
            if start < i { segments.append(template[start..<i]) }
            start = template.utf8.index(after: i)
        }
        if start < template.utf8.endIndex { segments.append(template[start...]) }
        return segments
    }

    /// The operations of each template read so far, by method. Filled on
    /// the thread that runs Lua, as the schema itself is (ProxmoxModule).
    final class OperationTable: @unchecked Sendable {
        let read: (String) throws -> InventoryValue
        var byTemplate: [String: [String: Operation]] = [:]

        init(read: @escaping (String) throws -> InventoryValue) { self.read = read }

        subscript(_ template: String) -> [String: Operation] {
            get throws {
                if let known = byTemplate[template] { return known }
                guard case .map(let byMethod) = try read(template) else { return [:] }
                var ops: [String: Operation] = [:]
                for (method, spec) in byMethod {
                    guard case .map(let op) = spec else { continue }
                    ops[method] = ProxmoxSchema.operation(method, template, op)
                }
                byTemplate[template] = ops
                return ops
            }
        }
    }

    static func operation(_ method: String, _ template: String, _ op: InventoryFields) -> Operation {
        var parameters: [Parameter] = []
        var openEnded = true
        if case .map(let p)? = op["parameters"] {
            if case .integer(0)? = p["additionalProperties"] { openEnded = false }
            if case .map(let properties)? = p["properties"] {
                for (name, spec) in properties {
                    guard case .map(let s) = spec else { continue }
                    parameters.append(parameter(name, s))
                }
            }
        }
        parameters.sort { $0.name < $1.name }
        var returnType: String?
        if case .map(let r)? = op["returns"], case .string(let t)? = r["type"] { returnType = t }
        return Operation(method: method, template: template, parameters: parameters, openEnded: openEnded,
                         permissions: op["permissions"], allowsToken: op["allowtoken"] == .integer(1),
                         returnType: returnType)
    }

    static func parameter(_ name: String, _ s: InventoryFields) -> Parameter {
        func number(_ key: String) -> Double? {
            switch s[key] {
            case .integer(let i)?: return Double(i)
            case .number(let d)?: return d
            default: return nil
            }
        }
        var choices: [String] = []
        if case .list(let e)? = s["enum"] {
            choices = e.compactMap { if case .string(let v) = $0 { return v } else { return nil } }
        }
        var defaultText: String?
        switch s["default"] {
        case .string(let v)?: defaultText = v
        case .integer(let v)?: defaultText = String(v)
        case .number(let v)?: defaultText = String(v)
        default: break
        }
        var type = "string"
        if case .string(let t)? = s["type"] { type = t }
        var format: String?
        if case .string(let f)? = s["format"] { format = f }
        // PVE's schema writes the flag as 1 and, in a few places, as "1".
        let optional = s["optional"] == .integer(1) || s["optional"] == .string("1") || s["optional"] == .boolean(true)
        return Parameter(name: name, type: type, optional: optional, choices: choices,
                         minimum: number("minimum"), maximum: number("maximum"),
                         maxLength: number("maxLength").map { Int($0) }, defaultText: defaultText, format: format)
    }

    // MARK: - Paths

    /// The template a concrete path is an instance of and its variables:
    /// "/nodes/pve1/qemu/101" -> "/nodes/{node}/qemu/{vmid}", node = pve1,
    /// vmid = 101. Literal segments beat variables. Segments are
    /// percent-decoded; "..", ".", empty segments, "?" and "#" are refused.
    public func match(_ path: String) throws -> (template: String, variables: [(name: String, value: String)]) {
        guard path.hasPrefix("/") else { throw HomelabError("path '\(InventoryText.visible(path))' must start with '/'") }
        if path.utf8.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") || $0 < 0x20 || $0 == 0x7f }) {
            throw HomelabError("path '\(InventoryText.visible(path))' has a '?', '#' or control character: give parameters as a table")
        }
        let raw = path == "/" ? [] : path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        var segments: [String] = []
        for s in raw {
            guard let decoded = Self.percentDecoded(s), !decoded.isEmpty, decoded != ".", decoded != "..",
                  !decoded.contains("/") else {
                throw HomelabError("path '\(InventoryText.visible(path))' has an empty, '.', '..' or encoded '/' segment")
            }
            segments.append(decoded)
        }
        var best: (score: Int, template: String, variables: [(name: String, value: String)])?
        for candidate in templates[segments.count] ?? [] {
            var score = 0
            var variables: [(name: String, value: String)] = []
            var fits = true
            for (t, s) in zip(candidate.segments, segments) {
                if t.hasPrefix("{") && t.hasSuffix("}") {
                    variables.append((String(t.dropFirst().dropLast()), s))
                } else if t == s {
                    score += 1
                } else {
                    fits = false
                    break
                }
            }
            if fits, score > best?.score ?? -1 { best = (score, candidate.template, variables) }
        }
        guard let best else {
            throw HomelabError("no such API path: \(InventoryText.visible(path))\(Suggestion.didYouMean(path, in: names))")
        }
        return (best.template, best.variables)
    }

    static func percentDecoded(_ s: Substring) -> String? {
        var out: [UInt8] = []
        var bytes = s.utf8.makeIterator()
        while let b = bytes.next() {
            if b != UInt8(ascii: "%") { out.append(b); continue }
            guard let h = bytes.next(), let l = bytes.next(), let hi = hex(h), let lo = hex(l) else { return nil }
            out.append(hi << 4 | lo)
        }
        return String(validating: out, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// The operations of a template (GET, POST...), for help.
    public func operations(of template: String) throws -> [Operation] {
        try operations[template].values.sorted { $0.method < $1.method }
    }

    // MARK: - Checks

    /// Matches `path`, finds `method` and checks `parameters` (names,
    /// types, enums, ranges, required ones): an error lists the path's
    /// parameters.
    public func check(_ method: String, _ path: String, _ parameters: [(name: String, value: InventoryValue)]) throws -> Call {
        let (template, variables) = try match(path)
        guard let operation = try operations[template][method] else {
            let methods = try operations(of: template).map(\.method).joined(separator: ", ")
            throw HomelabError("\(method) is not an operation of \(template) (it has \(methods))")
        }
        var problems: [String] = []
        var fields: [(name: String, value: String)] = []
        var given = Set<String>()
        for (name, value) in variables {
            given.insert(name)
            if let p = operation.parameters.first(where: { $0.name == name }),
               let problem = Self.problem(p, .string(value), fromPath: true) {
                problems.append(problem)
            }
        }
        for (name, value) in parameters.sorted(by: { $0.name < $1.name }) {
            if given.contains(name) {
                problems.append("'\(name)' is part of the path (\(template))")
                continue
            }
            given.insert(name)
            guard let p = operation.parameters.first(where: { $0.matches(name) }) else {
                if operation.openEnded {
                    fields.append((name, Self.text(value) ?? ""))
                } else {
                    let names = operation.parameters.map(\.name).filter { !variables.map(\.name).contains($0) }
                    problems.append("unknown parameter '\(InventoryText.visible(name))'\(Suggestion.didYouMean(name, in: names))")
                }
                continue
            }
            if let problem = Self.problem(p, value, fromPath: false) {
                problems.append(problem)
            } else if case .list(let items) = value {
                for item in items { fields.append((name, Self.text(item) ?? "")) }
            } else {
                fields.append((name, Self.text(value) ?? ""))
            }
        }
        for p in operation.parameters where !p.optional && !given.contains(p.name) && !p.name.hasSuffix("[n]") {
            problems.append("missing required parameter '\(p.name)'")
        }
        guard problems.isEmpty else {
            throw HomelabError("\(method) \(template): \(problems.joined(separator: "; "))\n" + parameterList(operation))
        }
        return Call(operation: operation, variables: variables, fields: fields)
    }

    /// What is wrong with `value` for `p`, or nil. A path variable is text
    /// that must read as the parameter's type.
    static func problem(_ p: Parameter, _ value: InventoryValue, fromPath: Bool) -> String? {
        let what = "'\(p.name)' (\(p.type))"
        var number: Double?
        switch (p.type, value) {
        case ("integer", .integer(let i)): number = Double(i)
        case ("integer", .number(let d)) where d == d.rounded(): number = d
        case ("integer", .string(let s)) where fromPath:
            guard let i = Int64(s) else { return "\(what) must be an integer, not '\(InventoryText.visible(s))'" }
            number = Double(i)
        case ("number", .integer(let i)): number = Double(i)
        case ("number", .number(let d)): number = d
        case ("boolean", .boolean), ("boolean", .integer(0)), ("boolean", .integer(1)): break
        case ("string", .string(let s)):
            if !p.choices.isEmpty, !p.choices.contains(s) {
                return "\(what) must be one of \(p.choices.joined(separator: ", ")), not '\(InventoryText.visible(s))'\(Suggestion.didYouMean(s, in: p.choices))"
            }
            if let max = p.maxLength, s.utf8.count > max { return "\(what) is longer than \(max) bytes" }
            if s.utf8.contains(0) { return "\(what) has a NUL byte" }
        case ("string", .integer), ("string", .number): break
        case ("array", .list(let items)):
            if items.contains(where: { Self.text($0) == nil }) { return "\(what) must list strings or numbers" }
        case ("array", .string): break
        default:
            return "\(what) must be \(p.type == "integer" ? "an integer" : "a \(p.type)"), not a \(value.typeName)"
        }
        if let number {
            if let min = p.minimum, number < min { return "\(what) must be at least \(Self.plain(min)), not \(Self.plain(number))" }
            if let max = p.maximum, number > max { return "\(what) must be at most \(Self.plain(max)), not \(Self.plain(number))" }
        }
        return nil
    }

    /// The form value PVE reads: booleans as 1/0, integers without ".0".
    static func text(_ value: InventoryValue) -> String? {
        switch value {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .number(let d): return plain(d)
        case .boolean(let b): return b ? "1" : "0"
        default: return nil
        }
    }

    static func plain(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }

    // MARK: - Help and privileges

    /// "Parameters of POST /nodes/{node}/qemu/{vmid}/status/start:" and one
    /// line per parameter (required first).
    public func parameterList(_ op: Operation) -> String {
        var lines = ["parameters of \(op.method) \(op.template):"]
        let ordered = op.parameters.filter { !$0.optional } + op.parameters.filter(\.optional)
        for p in ordered {
            var line = "  \(p.name) \(p.type)"
            if !p.choices.isEmpty { line += " (\(p.choices.joined(separator: "|")))" }
            if p.minimum != nil || p.maximum != nil {
                line += " [\(p.minimum.map(Self.plain) ?? "")..\(p.maximum.map(Self.plain) ?? "")]"
            }
            line += p.optional ? "" : " required"
            if let d = p.defaultText { line += ", default \(d)" }
            lines.append(line)
        }
        if ordered.isEmpty { lines.append("  (none)") }
        return lines.joined(separator: "\n")
    }

    /// Every operation of the path: its parameters, the privilege it needs,
    /// whether API tokens may call it.
    public func help(_ path: String) throws -> String {
        let (template, variables) = try match(path)
        var out: [String] = []
        for op in try operations(of: template) {
            out.append(parameterList(op))
            out.append("  needs: \(privilege(op, variables))" + (op.allowsToken ? "" : " (API tokens refused: use a ticket)"))
            if let r = op.returnType { out.append("  returns: \(r)") }
        }
        return out.joined(separator: "\n")
    }

    /// The privilege check in words: "VM.PowerMgmt on /vms/101",
    /// "Sys.Audit or Datastore.Audit on /", with the path's variables filled in.
    public func privilege(_ op: Operation, _ variables: [(name: String, value: String)]) -> String {
        guard case .map(let p)? = op.permissions else { return "no check declared" }
        if case .string(let user)? = p["user"] {
            if user == "world" { return "nothing (open to anyone)" }
            // Writes open to all check their privileges in PVE's code (vzdump: VM.Backup...).
            return op.method == "GET" ? "any authenticated user" : "any authenticated user, then checks in code the schema does not list"
        }
        guard let check = p["check"] else { return "root@pam only" }
        return Self.words(check, variables)
    }

    /// The privileges a call of `method` on `path` needs, as alternatives:
    /// any one list, all of its privileges. Empty when the schema names none
    /// (open to any user, root only, or checked in PVE's code).
    public func requiredPrivileges(_ method: String, _ path: String) throws -> [[String]] {
        let (template, _) = try match(path)
        guard let operation = try operations[template][method], case .map(let p)? = operation.permissions,
              let check = p["check"] else { return [] }
        return Self.alternatives(check)
    }

    static func alternatives(_ check: InventoryValue) -> [[String]] {
        guard case .list(let parts) = check, case .string(let head)? = parts.first else { return [] }
        switch head {
        case "perm", "perm-modify":
            guard parts.count >= 3, case .list(let listed) = parts[2] else { return [] }
            let privileges = listed.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
            return parts.dropFirst(3).contains(.string("any")) ? privileges.map { [$0] } : [privileges]
        case "or":
            return parts.dropFirst().flatMap { alternatives($0) }
        case "and":  // one alternative of each part, together
            return parts.dropFirst().map { alternatives($0) }.filter { !$0.isEmpty }
                .reduce([[]]) { sofar, next in sofar.flatMap { a in next.map { a + $0 } } }
        default:
            return []
        }
    }

    static func words(_ check: InventoryValue, _ variables: [(name: String, value: String)]) -> String {
        guard case .list(let parts) = check, case .string(let head)? = parts.first else { return "a special check" }
        switch head {
        case "perm", "perm-modify":
            guard parts.count >= 3, case .string(var path) = parts[1] else { return "a special check" }
            for (name, value) in variables { path = path.replacingAll("{\(name)}", with: value) }
            var privs: [String] = []
            if case .list(let ps) = parts[2] { privs = ps.compactMap { if case .string(let s) = $0 { return s } else { return nil } } }
            let any = parts.dropFirst(3).contains(.string("any"))
            return "\(privs.joined(separator: any ? " or " : " and ")) on \(path)"
        case "and", "or":
            return parts.dropFirst().map { words($0, variables) }.joined(separator: " \(head) ")
        case "userid-param":
            guard parts.count >= 2, case .string(let what) = parts[1] else { return "a check on the user" }
            return what == "self" ? "the user itself" : "\(what) on the user's realm"
        case "userid-group":
            guard parts.count >= 2, case .list(let ps) = parts[1] else { return "a privilege on the user's groups" }
            let privs = ps.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
            return "\(privs.joined(separator: " and ")) on the user's groups"
        default: return head
        }
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation here).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = "", rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
