import CLua
import CLuaShim
import Connectors
import LuaHost
#if canImport(Glibc)
import Glibc
#endif

/// `lab.http`: HTTP requests over libcurl (Connectors does the transfers).
/// Here: Lua tables to HTTPRequest, responses to lab.HTTPResponse objects,
/// failures to error objects of kind "http".
enum HTTPModule {
    static func push(_ state: LuaState) throws {
        state.register(ResponseObject.self) { t in
            t.field("status") { $0.response.status }
            t.field("headers") { $0.response.headers }
            t.field("body") { $0.body }
            t.field("elapsed") { $0.response.elapsed }
            t.field("url") { $0.response.url }
            t.method("json") { object, call in
                try pushDecodedJSON(call, object.body)
            }
            t.tostring { object in
                let r = object.response
                return "lab.HTTPResponse: \(r.status) \(r.reason) \(r.url) (\(object.bodySize) bytes)"
            }
        }
        let L = state.L
        lua_createtable(L, 0, 7)
        state.setFunction("request") { call in
            guard call.type(1) == LUA_TTABLE else { throw call.typeError(1, "table") }
            let r = try request(call, 1, method: nil, url: nil)
            if try skipsUnderDryRun(call, r, readOnly: readOnly(call.L, 1)) { return 1 }
            return try perform(call, r)
        }
        for method in ["get", "post", "put", "delete"] {
            state.setFunction(method) { call in
                let url = try call.string(1)
                if !call.isNoneOrNil(2), call.type(2) != LUA_TTABLE { throw call.typeError(2, "table") }
                let r = try request(call, 2, method: method.uppercased(), url: url)
                if try skipsUnderDryRun(call, r, readOnly: !call.isNoneOrNil(2) && readOnly(call.L, 2)) { return 1 }
                return try perform(call, r)
            }
        }
        state.setFunction("parallel") { call in try parallel(call) }
        // escape(text) -> text percent-encoded as one URL path segment or query value
        state.setFunction("escape") { call in call.push(HTTPRequest.escape(bytes: try call.bytes(1))) }
    }

    /// A lab.HTTPResponse in Lua. The body lives in Lua as a string, not in
    /// Swift: it counts against --memory-limit and Lua's collector sees it.
    final class ResponseObject: LuaObject {
        static let luaTypeName = "lab.HTTPResponse"
        let response: HTTPResponse  // without its body
        let body: LuaRef
        let bodySize: Int

        init(_ response: HTTPResponse, _ call: LuaCall) {
            LuaBytes(response.body).push(call.L)
            body = LuaRef(state: call.state, L: call.L)
            bodySize = response.body.count
            var rest = response
            rest.body = []
            self.response = rest
        }
    }

    // MARK: Performing

    static func stop() -> HTTPStop {
        HTTPStop(fd: lh_stop_fd()) { lh_stop_reason() != Int32(LH_STOP_NONE) }
    }

    /// One request: the response object, or the error raised. A stop
    /// (Ctrl-C, --timeout) stays pending, so labsh still stops after this.
    static func perform(_ call: LuaCall, _ request: HTTPRequest) throws -> Int32 {
        let budget = memoryLeft(call).map {
            HTTPBodyBudget(bytes: $0, subject: "body", label: "what is left of --memory-limit")
        }
        switch HTTPClient.perform(request, budget: budget, stop: stop()) {
        case .success(let response):
            LuaState.push(call.L, object: ResponseObject(response, call))
            return 1
        case .failure(let error):
            throw LuaRaise.object(kind: "http", message: error.message, fields: fields(of: error))
        }
    }

    /// Bodies of one parallel batch together, unless told otherwise.
    static let defaultTotalBytes = 256 << 20

    static let parallelOptions = LuaOptions.Declaration([.integer("max", default: 10), .any("max_total_bytes")])

    /// parallel(requests [, {max = N, max_total_bytes = B}]): a result per
    /// request, in order.
    static func parallel(_ call: LuaCall) throws -> Int32 {
        guard call.type(1) == LUA_TTABLE else { throw call.typeError(1, "table") }
        let opts = try LuaOptions(call, 2, parallelOptions)
        guard let maxParallel = opts.integer("max"), maxParallel >= 1, maxParallel <= Int32.max else {
            throw opts.fail("max must be an integer >= 1")
        }
        var budget = HTTPBodyBudget(bytes: defaultTotalBytes, subject: "bodies together", label: "max_total_bytes")
        if let n = opts["max_total_bytes"] {
            guard let v = size(n) else { throw opts.fail("max_total_bytes must be a whole number of bytes") }
            budget.bytes = v
        }
        if let left = memoryLeft(call), left < budget.bytes {
            budget.bytes = left
            budget.label = "what is left of --memory-limit"
        }
        let L = call.L
        let count = Int(lua_rawlen(L, 1))
        // Under --dry-run a write that is not read_only is not sent: its
        // place in the results gets the dry-run result.
        let dry = ProcessModule.dryRun(L)
        var requests: [HTTPRequest] = [], notSent: [Int: HTTPRequest] = [:]
        requests.reserveCapacity(count)
        for i in stride(from: 1, through: count, by: 1) {
            let type = lua_rawgeti(L, 1, lua_Integer(i)), top = lua_gettop(L)
            defer { lh_pop(L, 1) }
            let r: HTTPRequest
            switch type {
            case LUA_TSTRING: r = HTTPRequest(method: "GET", url: LuaState.string(L, top) ?? "")
            case LUA_TTABLE: r = try request(call, top, method: nil, url: nil, argument: 1, position: "requests[\(i)]")
            default: throw LuaRaise.argument(1, "requests[\(i)] must be a URL or a request table")
            }
            if dry && !safeMethods.contains(r.method) && !readOnly(L, top) { notSent[i] = r } else { requests.append(r) }
        }
        for i in notSent.keys.sorted() { try announceNotSent(call, notSent[i]!) }
        // Quiet for the first second (short batches), then redrawn at most every 100 ms.
        let bar = isatty(2) != 0 && requests.count > 1 ? ProgressBar(quietFor: 1, interval: 0.1) : nil
        var outcomes = HTTPClient.perform(requests, maxParallel: Int(maxParallel), budget: budget, stop: stop()) { done, total in
            guard let bar else { return }
            bar.update(total == 0 ? 1 : Double(done) / Double(total),
                       "\(done)/\(total) requests, \(Int(bar.elapsed)) s", final: done == total)
        }
        bar?.finish()
        // Each body moves into Lua and its Swift copy goes: never both copies
        // of the whole batch at once.
        outcomes.reverse()
        lua_createtable(L, Int32(count), 0)
        for i in stride(from: 1, through: count, by: 1) {
            if let r = notSent[i] {
                pushNotSent(L, r)
            } else {
                switch outcomes.popLast() {
                case .success(let response)?: LuaState.push(call.L, object: ResponseObject(response, call))
                case .failure(let error)?: LuaState.pushErrorObject(L, kind: "http", message: error.message, fields: fields(of: error))
                case nil: return 1
                }
            }
            lua_rawseti(L, -2, lua_Integer(i))
        }
        return 1
    }

    /// The context fields of an error object.
    static func fields(of error: HTTPError) -> [String: LuaValue] {
        var fields: [String: LuaValue] = [
            "url": .str(error.url), "method": .str(error.method), "reason": .str(error.reason.rawValue),
        ]
        if let status = error.status { fields["status"] = .integer(Int64(status)) }
        if let body = error.body { fields["body"] = .string(LuaBytes(body)) }
        return fields
    }

    // MARK: --dry-run

    /// Methods that change nothing on the server (RFC 9110's safe methods):
    /// sent under --dry-run. Every other method is a write.
    static let safeMethods: Set<String> = ["GET", "HEAD", "OPTIONS"]

    /// Whether the request table at `index` says `read_only = true`: a
    /// write method that only reads (a query sent as POST).
    static func readOnly(_ L: OpaquePointer, _ index: Int32) -> Bool {
        guard lua_type(L, index) == LUA_TTABLE else { return false }
        defer { lh_pop(L, 1) }
        return lua_rawgetfield(L, index, "read_only") == LUA_TBOOLEAN && lua_toboolean(L, -1) != 0
    }

    /// Under --dry-run, a write that is not read_only is not sent: says so
    /// through labsh.dryrun ("dry run: would POST URL", audited as a dry-run
    /// entry), pushes the dry-run result and returns true.
    static func skipsUnderDryRun(_ call: LuaCall, _ request: HTTPRequest, readOnly: Bool) throws -> Bool {
        guard !readOnly, !safeMethods.contains(request.method), ProcessModule.dryRun(call.L) else { return false }
        try announceNotSent(call, request)
        pushNotSent(call.L, request)
        return true
    }

    static func announceNotSent(_ call: LuaCall, _ request: HTTPRequest) throws {
        try ProcessModule.announceDryRun(call, "http", [request.method, request.fullURL])
    }

    /// What a request a dry run did not send returns: not a response (no
    /// status, so never a success), marked dry_run = true.
    static func pushNotSent(_ L: OpaquePointer, _ request: HTTPRequest) {
        let w = TableWriter(L: L)
        w.record {
            w.field("dry_run", true)
            w.field("method", request.method)
            w.field("url", request.fullURL)
            w.field("body", "")
            w.field("elapsed", 0.0)
        }
    }

    // MARK: Reading a request table

    static let requestOptions = LuaOptions.Declaration([
        .string("method"), .string("url"), .any("query"), .any("headers"), .any("body"), .raw("json"),
        .number("timeout"), .number("connect_timeout"), .any("auth"), .string("ca_file"), .boolean("insecure"),
        .any("max_bytes"), .number("retries"), .boolean("raise_status"), .boolean("trust_redirects"),
        .boolean("read_only"),
    ])

    /// The request described by the table at `index` (nil there: only
    /// `method` and `url`). Errors name argument `argument` and, in a batch,
    /// the request's place.
    static func request(_ call: LuaCall, _ index: Int32, method: String?, url: String?,
                        argument: Int32? = nil, position: String? = nil) throws -> HTTPRequest {
        let opts = try LuaOptions(call, argument ?? index, requestOptions, at: index, position: position)
        let bad = opts.fail
        guard let target = url ?? opts.string("url") else { throw bad("url is missing") }
        var r = HTTPRequest(method: method ?? opts.string("method") ?? "GET", url: target)
        if let capabilities = Capabilities.active {
            try capabilities.check(call.L, "net", Capabilities.netTarget(target), "reach")
            r.permitsHop = { url in Capabilities.hopRefusal(url) }
        }
        if let query = opts["query"] { r.query = try pairs(query, "query", bad) }
        if let headers = opts["headers"] {
            r.headers = try pairs(headers, "headers", bad)
            if r.headers.contains(where: { $0.name.isEmpty || $0.name.contains(":") }) { throw bad("headers: bad header name") }
        }
        if let body = opts["body"] {
            guard case .string(let bytes) = body else { throw bad("body must be a string") }
            r.body = bytes.bytes
        }
        if opts["json"] != nil {
            if r.body != nil { throw bad("give body or json, not both") }
            r.body = try encodeJSON(call, tableAt: index)
            if !r.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                r.headers.append(("Content-Type", "application/json"))
            }
        }
        // Any number arrives here (1e300, math.huge, NaN): only a checked
        // one reaches an integer conversion.
        func seconds(_ name: String) throws -> Double? {
            guard let t = opts.number(name) else { return nil }
            guard HTTPRequest.milliseconds(t) != nil else {
                throw bad("\(name) must be from 0.001 to 1000000 seconds, not \(numberText(t))")
            }
            return t
        }
        if let t = try seconds("timeout") { r.timeout = t }
        if let t = try seconds("connect_timeout") { r.connectTimeout = t }
        if let auth = opts["auth"] { r.auth = try self.auth(auth, bad) }
        r.caFile = opts.string("ca_file")
        if opts.boolean("insecure") == true {
            r.insecure = true
            warnInsecure(r.url)
        }
        if let v = opts["max_bytes"] {
            guard let n = size(v) else { throw bad("max_bytes must be a whole number of bytes") }
            r.maxBytes = n
        }
        if let n = opts.number("retries") {
            guard n >= 0, n <= 100, n == n.rounded() else { throw bad("retries must be an integer 0-100") }
            r.retries = Int(n)
        }
        if let raise = opts.boolean("raise_status") { r.raiseStatus = raise }
        if let trust = opts.boolean("trust_redirects") { r.trustRedirects = trust }
        r.userAgent = "labsh/" + Lab.version
        return r
    }

    /// A number as an operator wrote it: 30, 0.0004, inf, nan, 1e+300.
    static func numberText(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
    }

    /// A byte count: a whole number from 0 to 2^50 (1 PiB: far past any
    /// memory, far below Int's range), else nil.
    static func size(_ value: LuaValue) -> Int? {
        switch value {
        case .integer(let i): return i >= 0 && i <= 1 << 50 ? Int(i) : nil
        case .number(let d): return d >= 0 && d <= 0x1p50 && d == d.rounded() ? Int(d) : nil
        default: return nil
        }
    }

    /// The bytes --memory-limit still allows a body (nil without a limit):
    /// what Lua may still allocate, less 64 KiB for the response object
    /// around it. A full collection runs first when little seems left, as
    /// Lua's own allocator does before it gives up: garbage must not refuse
    /// a body.
    static func memoryLeft(_ call: LuaCall) -> Int? {
        let limit = call.state.memoryLimit
        guard limit > 0 else { return nil }
        func left() -> Int { max(0, limit - lh_memory_used(call.L) - (64 << 10)) }
        if left() < 64 << 20, let collect = try? call.state.global("collectgarbage") {
            _ = try? call.state.callRef(on: call.L, collect, ["collect"])
        }
        return left()
    }

    /// A table of name = value (value a string, number, boolean or a list of
    /// them) as pairs sorted by name: the same URL every time.
    static func pairs(_ value: LuaValue, _ what: String, _ bad: (String) -> LuaRaise) throws -> [(name: String, value: String)] {
        guard case .table(let table) = value, table.array.isEmpty else { throw bad("\(what) must be a table of name = value") }
        func text(_ v: LuaValue) throws -> String {
            switch v {
            case .string(let s): return s.description
            case .integer(let i): return String(i)
            case .number(let d): return numberText(d)
            case .boolean(let b): return b ? "true" : "false"
            default: throw bad("\(what) values must be strings or numbers")
            }
        }
        var out: [(name: String, value: String)] = []
        for (key, v) in table.fields {
            guard let name = key.stringValue else { throw bad("\(what) names must be strings") }
            if case .table(let list) = v {
                guard list.fields.isEmpty else { throw bad("\(what).\(name) must be a value or a list") }
                for item in list.array { out.append((name, try text(item))) }
            } else {
                out.append((name, try text(v)))
            }
        }
        // Sorted by name, stable for repeated names (their list order).
        return out.enumerated().sorted { a, b in
            a.element.name != b.element.name ? a.element.name < b.element.name : a.offset < b.offset
        }.map(\.element)
    }

    static func auth(_ value: LuaValue, _ bad: (String) -> LuaRaise) throws -> HTTPRequest.Auth {
        guard case .table(let t) = value else { throw bad("auth must be {basic = {user, password}} or {bearer = token}") }
        if let token = t["bearer"] {
            guard let s = token.stringValue else { throw bad("auth.bearer must be a string") }
            return .bearer(s)
        }
        if case .table(let basic)? = t["basic"] {
            let user = basic["user"] ?? basic.array.first
            let password = basic["password"] ?? (basic.array.count > 1 ? basic.array[1] : nil)
            guard let u = user?.stringValue, let p = password?.stringValue else {
                throw bad("auth.basic must be {user, password} (strings)")
            }
            return .basic(user: u, password: p)
        }
        throw bad("auth must be {basic = {user, password}} or {bearer = token}")
    }

    nonisolated(unsafe) static var warnedInsecure = false

    /// Once per process: operators should see that TLS is not verified.
    static func warnInsecure(_ url: String) {
        guard !warnedInsecure else { return }
        warnedInsecure = true
        fputs("labsh: warning: TLS certificate verification disabled (insecure = true) for \(url)\n", stderr)
    }

    // MARK: JSON: lab.json's Swift encoder and decoder, called directly

    /// The `json` field of the table at `index`, encoded as lab.json.encode does.
    static func encodeJSON(_ call: LuaCall, tableAt index: Int32) throws -> [UInt8] {
        lua_rawgetfield(call.L, index, "json")
        defer { lh_pop(call.L, 1) }
        return try JSONModule.encoded(call, at: -1)
    }

    /// response:json(): the body decoded as lab.json.decode(body) does.
    static func pushDecodedJSON(_ call: LuaCall, _ body: LuaRef) throws -> Int32 {
        body.push(call.L)
        lua_copy(call.L, -1, 1)  // the body takes the response's place as argument 1
        lua_settop(call.L, 1)
        return try JSONModule.decode(call)
    }
}
