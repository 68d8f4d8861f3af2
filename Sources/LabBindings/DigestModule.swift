import CLua
import Connectors
import LuaHost

/// `labsh.digest`: SHA-256 (Connectors' SHA256), for the audit log's
/// script digests.
enum DigestModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 1)
        // sha256(bytes): lowercase hex
        state.setFunction("sha256") { call in call.push(SHA256.hex(try call.bytes(1))) }
    }
}
