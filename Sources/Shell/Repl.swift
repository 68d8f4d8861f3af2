import CLineEdit
import CLua
import CLuaShim
import Glibc
import LabBindings
import LuaHost

/// The interactive prompt: a thin loop around readline. Compiling, running,
/// printing and completion are Lua (stdlib/labsh/repl.lua, complete.lua).
final class Repl {
    let runner: Runner
    var state: LuaState { runner.state }
    var module: LuaRef?
    var completer: LuaRef?

    /// The REPL whose state readline's completion callback talks to.
    nonisolated(unsafe) static var active: Repl?

    init(runner: Runner) { self.runner = runner }

    func run() {
        runner.progname = nil  // lua's REPL reports errors without a prefix
        do {
            module = try require("labsh.repl")
            completer = try field(module!, "complete")
            try state.call(field(module!, "install_help"), [Repl.declarations])
            if isatty(1) != 0 && getenv("NO_COLOR") == nil {
                module!.push(state.L)
                true.push(state.L)
                lua_rawsetfield(state.L, -2, "color")
                lh_pop(state.L, 1)
            }
        } catch {
            runner.message("cannot start the REPL: \(error)")
            return
        }
        printOut("labsh \(Lab.version) (\(String(cString: lh_release()))) - help() lists what is here, Ctrl-D leaves\n")
        Repl.active = self
        le_init("labsh", { line in Repl.active?.complete(String(cString: line!)) })
        let history = History.open(runner: runner)
        history?.load()
        loop(history: history)
        history?.close()
        Repl.active = nil
        printOut("\n")
    }

    private func loop(history: History?) {
        var buffer = ""
        while true {
            guard let prompt = try? prompt(continuation: !buffer.isEmpty) else { return }
            var interrupted: Int32 = 0
            guard let raw = le_readline(prompt, lh_stop_fd(), &interrupted) else {
                if interrupted != 0 {  // Ctrl-C at the prompt: drop the line
                    lh_clear_stop(state.L)
                    buffer = ""
                    continue
                }
                return  // Ctrl-D
            }
            let line = String(cString: raw)
            free(raw)
            history?.add(line)
            buffer = buffer.isEmpty ? line : buffer + "\n" + line
            if lh_stop_reason() == Int32(LH_STOP_TERMINATE) { return }
            let status = step(buffer)
            if status != "incomplete" { buffer = "" }
        }
    }

    /// Runs one chunk through repl.step; Ctrl-C while it runs comes back here.
    private func step(_ source: String) -> String {
        defer { lh_clear_stop(state.L) }
        do {
            let results = try state.call(field(module!, "step"), [source])
            return results.first?.stringValue ?? "error"
        } catch {
            let stopped = lh_stop_reason() != Int32(LH_STOP_NONE)
            // After ^C the terminal's echo leaves the cursor mid-line.
            let lead = stopped && isatty(2) != 0 ? "\n" : ""
            printErr(lead + (stopped ? "interrupted" : "\(error)") + "\n")
            return "error"
        }
    }

    private func prompt(continuation: Bool) throws -> String {
        try state.call(field(module!, "prompt"), [continuation]).first?.stringValue ?? "> "
    }

    /// Candidates for the word before the cursor; never runs user code.
    func complete(_ line: String) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard let completer else { return nil }
        guard let results = try? state.call(completer, [line, Repl.moduleNames]),
              case .table(let list)? = results.first, !list.array.isEmpty else { return nil }
        let out = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: list.array.count + 1)
        var n = 0
        for case .string(let s) in list.array {
            out[n] = strdup(s.description)
            n += 1
        }
        out[n] = nil
        return out
    }

    // ---- helpers ------------------------------------------------------------

    private func require(_ name: String) throws -> LuaRef {
        state.pushGlobal("require")
        return try state.callRef(LuaRef(state: state, L: state.L), [name])
    }

    private func field(_ table: LuaRef, _ name: String) throws -> LuaRef {
        table.push(state.L)
        lua_rawgetfield(state.L, -1, name)
        lh_remove(state.L, -2)
        return LuaRef(state: state, L: state.L)
    }

    /// Module names for `require "` completion: embedded stdlib and Swift.
    static let moduleNames: [String] = {
        var names = Lab.moduleNames.map { "lab." + $0 }
        for path in EmbeddedFiles.paths where path.hasPrefix("stdlib/") && !path.hasPrefix("stdlib/meta/") {
            var name = path.dropFirst("stdlib/".count).dropLast(".lua".count)
            if name.hasSuffix("/init") { name = name.dropLast("/init".count) }
            names.append(name.split(separator: "/").joined(separator: "."))
        }
        return Array(Set(names)).sorted()
    }()

    /// The declaration files, joined, for help().
    static var declarations: String {
        EmbeddedFiles.paths.filter { $0.hasPrefix("stdlib/meta/") }
            .compactMap { EmbeddedFiles.text($0).map { $0.description } }
            .joined(separator: "\n")
    }
}
