import CLua
import Homelab
import LuaHost

/// `lab.ipam`: addresses and prefixes, IPv4 and IPv6, exact.
enum IpamModule {
    static func push(_ state: LuaState) throws {
        let L = state.L
        lua_createtable(L, 0, 8)
        state.setFunction("parse") { call in
            let net = try network(call, 1)
            var t = LuaTable()
            t["network"] = .str(net.network.description)
            t["prefix"] = .integer(Int64(net.prefixLength))
            t["family"] = .str(net.family == .v4 ? "ipv4" : "ipv6")
            t["netmask"] = .str(net.netmask.description)
            t["first"] = .str(net.firstHost.description)
            t["last"] = .str(net.lastHost.description)
            t["addresses"] = count(net.addressCount)
            t["hosts"] = count(net.usableHostCount)
            return call.push(LuaValue.table(t))
        }
        state.setFunction("contains") { call in
            let net = try network(call, 1)
            let text = try call.string(2)
            if text.contains("/") { return call.push(net.contains(try network(call, 2))) }
            return call.push(net.contains(try address(call, 2)))
        }
        state.setFunction("overlaps") { call in call.push(try network(call, 1).overlaps(network(call, 2))) }
        state.setFunction("hosts") { call in call.push(count(try network(call, 1).usableHostCount)) }
        state.setFunction("ptr") { call in call.push(try address(call, 1).reversePointer) }
        state.setFunction("reverse_zones") { call in call.push(try network(call, 1).reverseZones) }
        state.setFunction("next_free") { call in
            let net = try network(call, 1)
            var used = Set<IPAddress>()
            if !call.isNoneOrNil(2) {
                for case .string(let s) in try call.table(2).array {
                    guard let text = s.utf8, let a = try? IPAddress(parsing: text) else {
                        throw LuaRaise.argument(2, "'\(s)' is not an address")
                    }
                    used.insert(a)
                }
            }
            let gateway = call.isNoneOrNil(3) ? nil : try address(call, 3)
            guard let free = net.nextFree(used: used, gateway: gateway) else { return call.push(LuaValue.nil) }
            return call.push(free.description)
        }
    }

    /// A count as a Lua integer when it fits, else a float (IPv6 sizes).
    static func count(_ n: UInt128) -> LuaValue {
        n <= UInt128(Int64.max) ? .integer(Int64(n)) : .number(Double(n))
    }

    static func network(_ call: LuaCall, _ i: Int32) throws -> IPNetwork {
        let text = try call.string(i)
        do { return try IPNetwork(parsing: text) } catch { throw LuaRaise.argument(i, "\(error)") }
    }

    static func address(_ call: LuaCall, _ i: Int32) throws -> IPAddress {
        let text = try call.string(i)
        do { return try IPAddress(parsing: text) } catch { throw LuaRaise.argument(i, "\(error)") }
    }
}
