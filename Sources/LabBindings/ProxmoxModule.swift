import CLua
import Connectors
import Homelab
import LuaHost

/// `labsh.pve`: what lab.pve (stdlib/lab/pve.lua) needs from Swift: the
/// `proxmox` section's rules, the TLS probe and pinned requests, the API
/// schema's checks and help, task ids. The schema is parsed on first use.
enum ProxmoxModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 10)
        // config(spec, place) -> {servers = {{url, fingerprint, ca_file}}, token, user, password, insecure, timeout}
        // (spec as the inventory's `proxmox` section gives it)
        state.setFunction("config") { call in
            var steps: [ModelModule.PathStep] = []
            let place = try call.string(2)
            let spec = try ModelModule.inventoryValue(call.L, 1, path: &steps, file: place)
            let config = try ProxmoxConfig(decoding: spec, at: place)
            let w = TableWriter(L: call.L)
            w.record { write(config, w, serversKey: "servers") }
            return 1
        }
        // probe(url [, timeout]) -> {fingerprint, subject, issuer, expires, pin, certificate (DER)} | nil, reason, message
        state.setFunction("probe") { call in
            let url = try call.string(1)
            let timeout = call.isNoneOrNil(2) ? 10 : try call.number(2)
            // a handshake reaches the host too: requires.net decides (issue 20)
            try Capabilities.active?.check(call.L, "net", Capabilities.netTarget(url), "reach")
            switch CertificateProbe.fetch(url: url, timeout: timeout) {
            case .success(let leaf):
                let w = TableWriter(L: call.L)
                w.record {
                    w.field("fingerprint", leaf.fingerprint)
                    w.field("subject", leaf.subject)
                    w.field("issuer", leaf.issuer)
                    w.field("expires", leaf.expires)
                    w.field("pin", leaf.publicKeyPin)
                    w.field("certificate", LuaBytes(leaf.der))
                }
                return 1
            case .failure(let error):
                return call.push(all: [LuaValue.nil, error.reason.rawValue, error.detail])
            }
        }
        state.setFunction("perform") { call in try perform(call) }
        pushKnownCertificates(state)
        // check(method, path, params) -> {template, variables, fields, privilege, allowtoken, returns}
        state.setFunction("check") { call in
            let method = try call.string(1).uppercased()
            let path = try call.string(2)
            var params: [(name: String, value: InventoryValue)] = []
            if !call.isNoneOrNil(3) {
                var steps: [ModelModule.PathStep] = []
                guard case .map(let fields) = try ModelModule.inventoryValue(call.L, 3, path: &steps, file: "parameters") else {
                    if case .list(let l) = try ModelModule.inventoryValue(call.L, 3, path: &steps, file: "parameters"), l.isEmpty {
                        return try pushCall(call, schema().check(method, path, []))
                    }
                    throw HomelabError("parameters must be a table of name = value")
                }
                params = fields.map { ($0.key, $0.value) }
            }
            return try pushCall(call, schema().check(method, path, params))
        }
        state.setFunction("help") { call in call.push(try schema().help(try call.string(1))) }
        // upid(text) -> {upid, node, pid, starttime, type, id, user}
        state.setFunction("upid") { call in
            let u = try UPID(parsing: try call.string(1))
            let w = TableWriter(L: call.L)
            w.record {
                w.field("upid", u.text)
                w.field("node", u.node)
                w.field("pid", Int64(u.pid))
                w.field("starttime", Int64(u.startTime))
                w.field("type", u.type)
                w.field("id", u.id)
                w.field("user", u.user)
            }
            return 1
        }
        // inventory(model, {guests =, nodes =}, file) -> data, warnings, model: the
        // inventory `model` with the cluster's guests and the nodes it lacks,
        // read and checked by the inventory's own reader (lab.inventory.from_pve)
        state.setFunction("inventory") { call in
            let base = try call.inventory(1)
            let file = try call.string(3)
            var steps: [ModelModule.PathStep] = []
            var parts = InventoryFields()
            if case .map(let given) = try ModelModule.inventoryValue(call.L, 2, path: &steps, file: file) { parts = given }
            do {
                let (inventory, warnings) = try base.replacingGuests(parts["guests"] ?? .list([]),
                                                                     addingNodes: parts["nodes"] ?? .list([]), file: file)
                ModelModule.push(inventory, call.L)
                warnings.map { LuaValue.str("\(file): \($0)") }.push(call.L)
                LuaState.push(call.L, object: ModelModule.InventoryHandle(inventory))
                return 3
            } catch let e as InventoryError {
                let errors = e.diagnostics.filter { $0.severity == .error }.map { "\(file): \($0)" }
                throw LuaRaise.object(kind: "inventory", message: errors.joined(separator: "\n"),
                                      fields: ["file": .str(file), "errors": .table(LuaTable(array: errors.map { .str($0) }))])
            }
        }
        // segment(text): one path segment percent-encoded ("a/../b" -> "a%2F..%2Fb")
        state.setFunction("segment") { call in call.push(HTTPRequest.escape(bytes: try call.bytes(1))) }
    }

    /// The inventory's `proxmox` section in the shape it was written
    /// (urls as tables), for lab.inventory.current(); config() reads it back.
    static func pushSection(_ c: ProxmoxConfig, _ w: TableWriter) {
        w.table("proxmox") { write(c, w, serversKey: "urls") }
    }

    /// The fields of a `proxmox` section into the table on top; the URLs
    /// under `serversKey` (config()'s "servers", the inventory's "urls").
    static func write(_ c: ProxmoxConfig, _ w: TableWriter, serversKey: String) {
        w.list(serversKey, c.servers) { s in
            w.record {
                w.field("url", s.url)
                w.field("fingerprint", s.fingerprint)
                w.field("ca_file", s.caFile)
            }
        }
        w.field("token", c.token?.description)
        w.field("user", c.user)
        w.field("password", c.password?.description)
        w.field("insecure", c.insecure ? true : nil)
        w.field("timeout", c.timeout)
    }

    static func pushCall(_ call: LuaCall, _ c: ProxmoxSchema.Call) throws -> Int32 {
        let s = try schema()
        let w = TableWriter(L: call.L)
        w.record {
            w.field("template", c.operation.template)
            w.field("method", c.operation.method)
            w.table("variables") { for v in c.variables { w.field(v.name, v.value) } }
            w.list("fields", c.fields) { f in
                lua_createtable(call.L, 2, 0)
                f.name.push(call.L)
                lua_rawseti(call.L, -2, 1)
                f.value.push(call.L)
                lua_rawseti(call.L, -2, 2)
            }
            w.field("privilege", s.privilege(c.operation, c.variables))
            w.field("allowtoken", c.operation.allowsToken)
            w.field("returns", c.operation.returnType)
        }
        return 1
    }

    // MARK: The schema, read as calls need it

    nonisolated(unsafe) static var parsed: ProxmoxSchema?

    static let schemaPath = "schemas/pve-api-9.1.json"

    /// The embedded schema: its paths found by a skim of the text (nothing
    /// built), a path's operations parsed when a call first names it.
    static func schema() throws -> ProxmoxSchema {
        if let parsed { return parsed }
        guard let text = EmbeddedFiles.text(schemaPath) else { throw HomelabError("this labsh was built without \(schemaPath)") }
        // Static text: the buffer lives as long as the process.
        let buffer = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        let schema = try lazySchema(buffer, name: schemaPath)
        parsed = schema
        return schema
    }

    /// A schema over JSON text that outlives it (the embedded schema; the
    /// tests' own texts).
    static func lazySchema(_ buffer: UnsafeRawBufferPointer, name: String) throws -> ProxmoxSchema {
        let paths = try ProxmoxSchemaText.paths(buffer)
        var ranges = [String: Range<Int>](minimumCapacity: paths.count)
        for p in paths { ranges[p.template] = p.range }
        return ProxmoxSchema(templates: paths.map(\.template)) { template in
            guard let range = ranges[template] else { return .map([:]) }
            var sink = ValueSink()
            do {
                try JSONParser.parse(UnsafeRawBufferPointer(rebasing: buffer[range]), into: &sink)
            } catch {
                throw HomelabError("\(name): path \(template): \(error)")
            }
            return sink.result ?? .map([:])
        }
    }

    /// JSON into plain data (InventoryValue): objects, arrays, scalars; null
    /// is left out. Given one path's `{"GET": {...}, ...}`, what
    /// ProxmoxSchema never reads is skipped unbuilt: the shapes inside an
    /// operation's `returns` (only its `type` is read) and `format` objects
    /// (only a format's name is).
    struct ValueSink: JSONSink {
        var stack: [(isObject: Bool, key: String?, list: [InventoryValue], map: InventoryFields)] = []
        var result: InventoryValue?
        /// Depth inside a skipped container; 0 when building.
        var skipping = 0

        /// Whether the container starting now is one the schema never reads,
        /// by its exact place: methods, an operation, then `returns` {here},
        /// or `parameters`, `properties`, a parameter, `format` {here}.
        func skipped() -> Bool {
            switch stack.count {
            case 3: return stack[1].key == "returns"
            case 5: return stack[1].key == "parameters" && stack[4].key == "format"
            default: return false
            }
        }

        mutating func add(_ v: InventoryValue?) {
            guard let v else {
                if !stack.isEmpty, stack[stack.count - 1].isObject { stack[stack.count - 1].key = nil }
                return
            }
            guard !stack.isEmpty else { result = v; return }
            if stack[stack.count - 1].isObject {
                if let key = stack[stack.count - 1].key { stack[stack.count - 1].map.appendNew(key, v) }
                stack[stack.count - 1].key = nil
            } else {
                stack[stack.count - 1].list.append(v)
            }
        }
        mutating func begin(_ isObject: Bool) {
            if skipping > 0 || skipped() { skipping += 1; return }
            stack.append((isObject, nil, [], InventoryFields()))
        }
        mutating func end(_ value: (inout [(isObject: Bool, key: String?, list: [InventoryValue], map: InventoryFields)]) -> InventoryValue) {
            if skipping > 0 {
                skipping -= 1
                if skipping == 0 { add(nil) }
                return
            }
            add(value(&stack))
        }
        mutating func scalar(_ v: @autoclosure () -> InventoryValue) { if skipping == 0 { add(v()) } }
        mutating func beginObject() throws { begin(true) }
        mutating func key(_ bytes: UnsafeRawBufferPointer) throws {
            if skipping == 0 { stack[stack.count - 1].key = String(decoding: bytes, as: UTF8.self) }
        }
        mutating func endObject() throws { end { .map($0.removeLast().map) } }
        mutating func beginArray() throws { begin(false) }
        mutating func endArray() throws { end { .list($0.removeLast().list) } }
        mutating func string(_ bytes: UnsafeRawBufferPointer) throws { scalar(.string(String(decoding: bytes, as: UTF8.self))) }
        mutating func integer(_ value: Int64) throws { scalar(.integer(value)) }
        mutating func double(_ value: Double) throws { scalar(.number(value)) }
        mutating func bool(_ value: Bool) throws { scalar(.boolean(value)) }
        mutating func null() throws { if skipping == 0 { add(nil) } }
    }

    // MARK: Requests

    /// perform(requests [, max_parallel]) -> a result per request, in order:
    /// {status =, body =, headers = {name = value}} or {reason =, message =}.
    /// Each request: {method, url, headers = {{name, value}...}, body, pin,
    /// ca_file, insecure, timeout, max_bytes, decode}. Redirects are not
    /// followed. With `decode`, a JSON body comes as `decoded` (what
    /// lab.json.decode makes of it) instead of `body`: a PVE answer of
    /// megabytes is read once, never copied into a Lua string first.
    /// Under a manifest: only labsh's Proxmox client sends, to a node
    /// requires.net covers, a call whose privileges (as the API schema lists
    /// them) requires.proxmox covers; a write needs requires.mutation.
    static func checkCapabilities(_ call: LuaCall, _ r: HTTPRequest, _ capabilities: Capabilities) throws {
        let shown = "\(r.method) \(r.url)"
        guard Capabilities.calledByLabsh(call.L) else {
            throw Capabilities.error(capabilities.deny(call.L, "proxmox", shown, "send",
                                                       "only lab.pve sends to Proxmox VE (it checks each call first)"))
        }
        try capabilities.check(call.L, "net", Capabilities.netTarget(r.url), "reach")
        if r.method != "GET" && !capabilities.mayMutate {
            throw Capabilities.error(capabilities.deny(call.L, "mutation", shown, "send", "requires.mutation is not granted"))
        }
        guard let at = r.url.firstRange(of: "/api2/json") else { return }
        let path = String(r.url[at.upperBound...].prefix { $0 != "?" })
        let needs = try schema().requiredPrivileges(r.method, path)
        let allowed = { (privileges: [String]) in privileges.allSatisfy { capabilities.refusal("proxmox", $0) == nil } }
        if needs.isEmpty {
            if r.method == "GET" || capabilities.refusal("proxmox", "*") == nil { return }
            throw Capabilities.error(capabilities.deny(call.L, "proxmox", "\(r.method) \(path)", "call",
                                                       "the API lists no privilege for it; only proxmox = { \"*\" } allows it"))
        }
        guard needs.contains(where: allowed) else {
            let wanted = needs.map { $0.joined(separator: " and ") }.joined(separator: " or ")
            throw Capabilities.error(capabilities.deny(call.L, "proxmox", "\(r.method) \(path)", "call",
                                                       "it needs \(wanted), not in requires.proxmox (or not granted)"))
        }
    }

    static func perform(_ call: LuaCall) throws -> Int32 {
        let list = try call.table(1)
        let maxParallel = call.isNoneOrNil(2) ? 8 : Int(try call.integer(2))
        var requests: [HTTPRequest] = []
        var decode: [Bool] = []
        for item in list.array {
            guard case .table(let t) = item else { throw HomelabError("perform: each request is a table") }
            func text(_ key: String) -> String? {
                if case .string(let b)? = t[key] { return b.description }
                return nil
            }
            var r = HTTPRequest(method: text("method") ?? "GET", url: text("url") ?? "")
            r.maxRedirects = 0
            r.raiseStatus = false
            r.pinnedPublicKey = text("pin")
            r.caFile = text("ca_file")
            if case .boolean(true)? = t["insecure"] { r.insecure = true }
            if let timeout = t["timeout"]?.numberValue { r.timeout = timeout }
            if let maxBytes = t["max_bytes"]?.intValue { r.maxBytes = Int(maxBytes) }
            if case .string(let body)? = t["body"] { r.body = body.bytes }
            if case .table(let headers)? = t["headers"] {
                for h in headers.array {
                    if case .table(let pair) = h, pair.array.count == 2,
                       case .string(let name) = pair.array[0], case .string(let value) = pair.array[1] {
                        r.headers.append((name.description, value.description))
                    }
                }
            }
            if let capabilities = Capabilities.active { try checkCapabilities(call, r, capabilities) }
            requests.append(r)
            decode.append(t["decode"] == .boolean(true))
        }
        let budget = HTTPModule.memoryLeft(call).map {
            HTTPBodyBudget(bytes: $0, subject: "bodies together", label: "what is left of --memory-limit")
        }
        let outcomes = HTTPClient.perform(requests, maxParallel: max(1, maxParallel), budget: budget, stop: HTTPModule.stop())
        let L = call.L
        // lab.json's null and its array and object metatables (made here if
        // lab.json was not loaded yet): decoded as lab.json.decode decodes.
        JSONModule.registerValues(call.state)
        JSONModule.pushValues(L)
        let objectMeta = lua_gettop(L), arrayMeta = objectMeta - 1, null = objectMeta - 2
        lua_createtable(L, Int32(outcomes.count), 0)
        let w = TableWriter(L: L)
        for (i, outcome) in outcomes.enumerated() {
            switch outcome {
            case .success(let response):
                w.record {
                    w.field("status", Int64(response.status))
                    w.field("reason", response.reason)
                    if decode[i], !response.body.isEmpty,
                       pushDecoded(call, response.body, null: null, arrayMeta: arrayMeta, objectMeta: objectMeta) {
                        lua_rawsetfield(L, -2, "decoded")
                    } else {
                        LuaBytes(response.body).push(L)
                        lua_rawsetfield(L, -2, "body")
                    }
                    w.table("headers") { for (k, v) in response.headers { w.field(k, v) } }
                }
            case .failure(let error):
                w.record {
                    w.field("reason", error.reason.rawValue)
                    w.field("message", error.detail)
                    w.field("connection_lost", error.connectionLost)
                }
            }
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        return 1
    }

    /// The JSON `body` as lab.json.decode makes it, pushed (true), or
    /// nothing pushed (false) when it is not JSON.
    static func pushDecoded(_ call: LuaCall, _ body: [UInt8], null: Int32, arrayMeta: Int32, objectMeta: Int32) -> Bool {
        let L = call.L
        let top = lua_gettop(L)
        var sink = JSONModule.LuaSink(L: L, null: null, arrayMeta: arrayMeta, objectMeta: objectMeta,
                                      memoryLimit: call.state.memoryLimit)
        defer { sink.levels.deallocate() }
        do {
            try body.withUnsafeBytes { try JSONParser.parse($0, into: &sink) }
            return true
        } catch {
            lua_settop(L, top)
            return false
        }
    }
}
