import CLua
import CLuaShim
import Glibc
import Homelab
import LuaHost

/// `lab.ansible`: the model as an Ansible YAML inventory, and Ansible YAML
/// inventories read back (see Homelab's AnsibleExport and AnsibleInventory).
enum AnsibleModule {
    static func push(_ state: LuaState) throws {
        let L = state.L
        lua_createtable(L, 0, 4)
        // export([model]) -> YAML text of the current inventory (or of `model`,
        // a lab.inventory.model() handle).
        state.setFunction("export") { call in
            let inventory = call.isNoneOrNil(1) ? try currentInventory(call)
                : try call.inventory(1)
            return call.push(AnsibleExport.yaml(inventory))
        }
        // overlay([model]) -> the labsh.yml overlay (site, vlans, policy) of the current inventory
        state.setFunction("overlay") { call in
            let inventory = call.isNoneOrNil(1) ? try currentInventory(call)
                : try call.inventory(1)
            return call.push(AnsibleExport.overlay(inventory))
        }
        // parse(text [, name]) -> {hosts =, groups =, warnings =}
        state.setFunction("parse") { call in
            let text = try call.string(1)
            let name = try call.optString(2) ?? "(text)"
            return call.push(LuaValue.table(data(try parse(text, file: name))))
        }
        // import(path [, {reader = "ansible"|"builtin"}]) -> {hosts =, groups =, warnings =, reader =}
        state.setFunction("import") { call in
            let path = try call.string(1)
            let opts = try LuaOptions(call, 2, importOptions)
            let (inventory, reader) = try AnsibleReaders.read(path, reader: opts.string("reader").flatMap(AnsibleReaders.Reader.init))
            var t = data(inventory)
            t["reader"] = .str(reader.rawValue)
            return call.push(LuaValue.table(t))
        }
        // load(path [, {reader =, overlay =}]) -> {inventory =, notes =, warnings =, reader =, overlay =}
        state.setFunction("load") { call in
            let path = try call.string(1)
            let opts = try LuaOptions(call, 2, loadOptions)
            let (ansible, reader) = try AnsibleReaders.read(path, reader: opts.string("reader").flatMap(AnsibleReaders.Reader.init))
            let overlayPath = opts.string("overlay") ?? overlayBeside(path)
            var options = AnsibleImportOptions()
            options.home = getenv("HOME").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
            if let overlayPath {
                options.overlayName = overlayPath
                do { options.overlay = try YAMLSubset.parse(try readFile(overlayPath)).value } catch let e as YAMLError {
                    throw raise(AnsibleError(line: e.line, message: e.message), file: overlayPath)
                }
                if options.wantsResolution { options.resolve = resolveName }
            } else {
                options.overlayName = "labsh.yml (beside the inventory)"
            }
            let result: AnsibleImportResult
            do { result = try ansible.labshInventory(options) } catch let e as AnsibleError { throw raise(e, file: path) }
            var t = LuaTable()
            t["inventory"] = luaValue(result.inventory)
            t["notes"] = .table(LuaTable(array: result.notes.map(LuaValue.str)))
            t["warnings"] = .table(LuaTable(array: ansible.warnings.map(LuaValue.str)))
            t["reader"] = .str(reader.rawValue)
            if let overlayPath { t["overlay"] = .str(overlayPath) }
            return call.push(LuaValue.table(t))
        }
        // to_inventory(path [, base]) -> an inventory table for lab.inventory's validation
        state.setFunction("to_inventory") { call in
            let path = try call.string(1)
            let ansible = try AnsibleReaders.read(path, reader: nil).0
            let base: InventoryValue
            if call.isNoneOrNil(2) {
                base = AnsibleInventory.baseSections(of: try currentInventory(call))
            } else if call.type(2) == LUA_TUSERDATA {
                base = AnsibleInventory.baseSections(of: try call.inventory(2))
            } else if call.type(2) == LUA_TTABLE {
                var where_: [ModelModule.PathStep] = []
                base = try ModelModule.inventoryValue(call.L, 2, path: &where_, file: "(base inventory)")
            } else {
                throw call.typeError(2, "inventory table or model")
            }
            do {
                return call.push(luaValue(try ansible.inventoryValue(base: base)))
            } catch let e as AnsibleError {
                throw raise(e, file: path)
            }
        }
    }

    static let importOptions = LuaOptions.Declaration([.string("reader", choices: ["ansible", "builtin"])])
    static let loadOptions = LuaOptions.Declaration(importOptions.keys + [.string("overlay")])

    /// `labsh.yml` (or `labsh.yaml`) in the inventory's folder.
    static func overlayBeside(_ path: String) -> String? {
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        for name in ["labsh.yml", "labsh.yaml"] where access(dir + "/" + name, R_OK) == 0 { return dir + "/" + name }
        return nil
    }

    /// The first address of a host name (the overlay's resolve_names: true).
    static func resolveName(_ name: String) -> IPAddress? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(first.pointee.ai_addr, first.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return nil
        }
        return try? IPAddress(parsing: String(cString: buffer))
    }

    /// Text in either format (the built-in reader; no group_vars/ for text).
    static func parse(_ text: String, file: String) throws -> AnsibleInventory {
        do { return try AnsibleInventory.parse(text, format: nil) } catch let e as AnsibleError { throw raise(e, file: file) }
    }

    static func raise(_ e: AnsibleError, file: String) -> LuaRaise {
        var fields: [String: LuaValue] = ["file": .str(file)]
        if let line = e.line { fields["line"] = .integer(Int64(line)) }
        return .object(kind: "ansible", message: e.described(file: file), fields: fields)
    }

    /// The validated model of the current inventory (lab.inventory.model()).
    static func currentInventory(_ call: LuaCall) throws -> Inventory {
        let chunk = try call.state.load("return require('lab.inventory').model()", chunkname: "=lab.ansible")
        let results = try call.call(chunk)
        guard let first = results.first, case .reference(let ref) = first else {
            throw LuaRaise.message("lab.inventory.model() returned no model")
        }
        ref.push(call.L)
        defer { lh_pop(call.L, 1) }
        return try call.inventory(lua_gettop(call.L))
    }

    static func readFile(_ path: String) throws -> String {
        guard let f = fopen(path, "rb") else {
            throw LuaRaise.object(kind: "ansible", message: "\(path): \(String(cString: strerror(errno)))",
                                  fields: ["file": .str(path)])
        }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
            if n < buffer.count { break }
        }
        if ferror(f) != 0 {
            throw LuaRaise.object(kind: "ansible", message: "\(path): read error", fields: ["file": .str(path)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // ---- As Lua data -----------------------------------------------------------

    static func data(_ inv: AnsibleInventory) -> LuaTable {
        var hosts = LuaTable(), groups = LuaTable()
        for h in inv.hosts {
            var t = LuaTable()
            t["name"] = .str(h.name)
            t["vars"] = vars(h.vars)
            t["groups"] = .table(LuaTable(array: h.groups.map(LuaValue.str)))
            hosts[h.name] = .table(t)
        }
        for g in inv.groups {
            var t = LuaTable()
            t["name"] = .str(g.name)
            t["hosts"] = .table(LuaTable(array: g.hosts.map(LuaValue.str)))
            t["children"] = .table(LuaTable(array: g.children.map(LuaValue.str)))
            t["vars"] = vars(g.vars)
            groups[g.name] = .table(t)
        }
        var t = LuaTable()
        t["hosts"] = .table(hosts)
        t["groups"] = .table(groups)
        t["warnings"] = .table(LuaTable(array: inv.warnings.map(LuaValue.str)))
        return t
    }

    static func vars(_ vars: [String: YAMLValue]) -> LuaValue {
        var t = LuaTable()
        for (k, v) in vars where v != .null { t[k] = luaValue(v) }
        return .table(t)
    }

    static func luaValue(_ v: YAMLValue) -> LuaValue {
        switch v {
        case .null: return .nil
        case .bool(let b): return .boolean(b)
        case .int(let i): return .integer(i)
        case .float(let d): return .number(d)
        case .string(let s): return .str(s)
        case .list(let items): return .table(LuaTable(array: items.map(luaValue)))
        case .map(let m): return vars(m)
        }
    }

    static func luaValue(_ v: InventoryValue) -> LuaValue {
        switch v {
        case .string(let s): return .str(s)
        case .integer(let i): return .integer(i)
        case .number(let d): return .number(d)
        case .boolean(let b): return .boolean(b)
        case .list(let items): return .table(LuaTable(array: items.map(luaValue)))
        case .map(let m):
            var t = LuaTable()
            for (k, v) in m { t[k] = luaValue(v) }
            return .table(t)
        }
    }
}
