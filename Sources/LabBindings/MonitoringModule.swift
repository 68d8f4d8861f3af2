import CLua
import Homelab
import LuaHost

/// `labsh.monitoring`: the rules for a monitoring endpoint and a secret
/// reference (Homelab's MonitoringEndpoint and SecretReference), so that
/// `connect{}` in Lua checks exactly what the inventory's `monitoring`
/// section is checked against. stdlib/labsh/endpoint.lua and secret.lua call
/// these; they never check a URL or a reference themselves.
enum MonitoringModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 2)
        // endpoint(spec, place) -> {url =, ca_file =, insecure =, bearer =, user =, password =}
        // `timeout`, which only connect{} takes, is left to lab.http to check.
        state.setFunction("endpoint") { call in
            let place = try call.string(2)
            guard call.type(1) == LUA_TSTRING || call.type(1) == LUA_TTABLE else {
                throw HomelabError("\(place): expected a URL or {url = \"http://host:port\", ...}")
            }
            var steps: [ModelModule.PathStep] = []
            var spec = try ModelModule.inventoryValue(call.L, 1, path: &steps, file: place)
            if case .map(var fields) = spec {
                fields["timeout"] = nil
                spec = .map(fields)
            }
            let e = try MonitoringEndpoint(decoding: spec, at: place)
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
}
