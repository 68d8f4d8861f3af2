import CLua
import Glibc
import LuaHost

/// `labsh.progress`: the progress bar (ProgressBar) for Lua, and bytes as
/// people read them. Callers show a bar only when stderr is a terminal.
enum ProgressModule {
    final class BarObject: LuaObject {
        static let luaTypeName = "labsh.ProgressBar"
        let bar = ProgressBar()
    }

    static func push(_ state: LuaState) throws {
        state.register(BarObject.self) { t in
            // bar:update(fraction, [text]): redraws at fraction (0..1)
            t.method("update") { object, call in
                object.bar.update(try call.number(2), try call.optString(3) ?? "")
                return 0
            }
            // bar:finish(): clears the line
            t.method("finish") { object, _ in
                object.bar.finish()
                return 0
            }
        }
        lua_createtable(state.L, 0, 2)
        // new() -> a bar; nothing is drawn until the first update
        state.setFunction("new") { call in
            LuaState.push(call.L, object: BarObject())
            return 1
        }
        // bytes(n) -> "1.5 GiB"
        state.setFunction("bytes") { call in call.push(bytes(try call.number(1))) }
    }

    /// Bytes in binary units with one decimal: "512 B", "1.5 GiB".
    static func bytes(_ n: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var n = n, i = 0
        while n >= 1024 && i < units.count - 1 {
            n /= 1024
            i += 1
        }
        if i == 0 { return "\(Int64(n.rounded(.towardZero))) B" }
        var text = [CChar](repeating: 0, count: 48)
        _ = withVaList([n]) { vsnprintf(&text, text.count, "%.1f", $0) }
        return String(cString: text) + " " + units[i]
    }
}
