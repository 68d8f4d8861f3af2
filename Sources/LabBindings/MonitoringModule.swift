import CLua
import Homelab
import LuaHost

/// `labsh.monitoring`: the rules for a monitoring endpoint and a secret
/// reference (Homelab's MonitoringEndpoint and SecretReference), so that
/// `connect{}` in Lua checks exactly what the inventory's `monitoring`
/// section is checked against. stdlib/labsh/endpoint.lua and secret.lua call
/// these; they never check a URL or a reference themselves.
enum MonitoringModule {
    /// What connect{} accepts: the inventory's endpoint keys and `timeout`,
    /// which lab.http checks.
    static let endpointKeys = ["url", "ca_file", "insecure", "bearer", "user", "password", "timeout"]

    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 2)
        // endpoint(spec) -> {url =, ca_file =, insecure =, bearer =, user =, password =}
        state.setFunction("endpoint") { call in
            let e = try endpoint(call.value(1))
            let w = TableWriter(L: call.L)
            w.record {
                w.field("url", e.url)
                w.field("ca_file", e.caFile)
                w.field("insecure", e.insecure)
                w.field("bearer", e.bearer?.description)
                w.field("user", e.user)
                w.field("password", e.password?.description)
            }
            return 1
        }
        // secret(reference) -> "env", NAME | "file", PATH
        state.setFunction("secret") { call in
            let reference = try SecretReference(parsing: try call.string(1))
            switch reference.source {
            case .environment(let name): return call.push("env") + call.push(name)
            case .file(let path): return call.push("file") + call.push(path)
            }
        }
    }

    /// A URL, or a table of the endpoint keys, as a checked MonitoringEndpoint.
    static func endpoint(_ spec: LuaValue) throws -> MonitoringEndpoint {
        if let url = spec.stringValue { return try MonitoringEndpoint(url: url) }
        guard case .table(let t) = spec, t.array.isEmpty else {
            throw HomelabError(.inventory, "expected a URL or {url = \"http://host:port\", ...}")
        }
        for key in t.fields.keys {
            guard let name = key.stringValue, endpointKeys.contains(name) else {
                let name = key.stringValue ?? "\(key)"
                throw HomelabError(.inventory, "unknown key '\(name)'\(Suggestion.didYouMean(name, in: endpointKeys))"
                    + " (keys are \(endpointKeys.joined(separator: ", ")))")
            }
        }
        func text(_ key: String) throws -> String? {
            switch t.fields[.str(key)] {
            case nil, .nil?: return nil
            case let value?:
                guard let s = value.stringValue else { throw HomelabError(.inventory, "'\(key)' must be a string") }
                return s
            }
        }
        func secret(_ key: String) throws -> SecretReference? {
            try text(key).map(SecretReference.init(parsing:))
        }
        var insecure = false
        switch t.fields[.str("insecure")] {
        case nil, .nil?: break
        case .boolean(let b)?: insecure = b
        default: throw HomelabError(.inventory, "'insecure' must be true or false")
        }
        guard let url = try text("url") else { throw HomelabError(.inventory, "'url' is missing") }
        return try MonitoringEndpoint(url: url, caFile: try text("ca_file"), insecure: insecure,
                                      bearer: try secret("bearer"), user: try text("user"), password: try secret("password"))
    }
}
