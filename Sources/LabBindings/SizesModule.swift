import CLua
import Homelab
import LuaHost

/// `labsh.sizes`: byte sizes as the inventory writes them and as people
/// read them, both Homelab's ByteSize (pretty, reviews, restic's bar,
/// the capacity script and lint call it; no Lua formatter of their own).
enum SizesModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 2)
        // bytes(text) -> integer: a size with its unit, exact ("112GB", "16GiB")
        state.setFunction("bytes") { call in
            do { return call.push(try ByteSize(parsing: call.string(1)).bytes) }
            catch { throw LuaRaise.argument(1, "\(error)") }
        }
        // size_text(bytes, [style], [digits]) -> "14.9 GiB": sizes as people
        // read them, ByteSize's one way: style "iec" (default, powers of 1024)
        // or "si" rounded to `digits` (default 1) fraction digits; "exact"
        // in the largest unit that divides the count ("512 GB", "1537 B")
        state.setFunction("size_text") { call in
            guard let bytes = Int64(exactly: try call.number(1).rounded()) else {
                throw LuaRaise.argument(1, "not a size in bytes")
            }
            let size = ByteSize(bytes: bytes), digits = Int(try call.optInteger(3) ?? 1)
            switch try call.optString(2) ?? "iec" {
            case "iec": return call.push(size.formatted(.iec, fractionDigits: digits))
            case "si": return call.push(size.formatted(.si, fractionDigits: digits))
            case "exact": return call.push(size.description)
            case let other: throw LuaRaise.argument(2, "'\(other)' is not a style: use iec, si or exact")
            }
        }
    }
}
