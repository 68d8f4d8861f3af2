import Foundation
import Testing

/// The real REPL in a terminal (tmux), driven like a person would.
@Suite struct ReplTests {
    final class Terminal {
        let socket = "labsh-test-\(UUID().uuidString.prefix(8))"
        let dir: URL

        /// `keepOpen`: the pane stays after labsh exits, so its last output can be read.
        init(env: [String: String], arguments: [String] = [], keepOpen: Bool = false) throws {
            dir = try fixtureDirectory([:])
            func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            // LABSH_STATE_DIR overrides XDG_STATE_HOME (and the test servers set one)
            var assignments = ["HOME=\(dir.path)", "XDG_STATE_HOME=\(dir.path)/state",
                               "LABSH_STATE_DIR=\(dir.path)/state/labsh", "TERM=xterm"]
            for (k, v) in env { assignments.append(k + "=" + quoted(v)) }
            try tmux(["new-session", "-d", "-x", "100", "-y", "40",
                      "env " + assignments.joined(separator: " ") + " " + labshBinary
                        + arguments.map { " " + quoted($0) }.joined() + (keepOpen ? "; sleep 60" : "")])
        }

        deinit {
            _ = try? tmux(["kill-server"])
            try? FileManager.default.removeItem(at: dir)
        }

        /// Runs tmux with posix_spawn and waitpid: the server it starts keeps
        /// any pipe it inherits open, so the output goes through a file and
        /// it inherits no descriptor but 0-2.
        @discardableResult
        func tmux(_ args: [String]) throws -> String {
            let outPath = dir.appendingPathComponent("tmux-\(UUID().uuidString).out").path
            defer { unlink(outPath) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            // nothing else: tests run side by side, and a server that kept
            // another test's pipe open left that test waiting for its end
            _ = closeFrom(&actions, 3)
            let argv = ["/usr/bin/tmux", "-L", socket] + args
            var cArgs = argv.map { strdup($0) } + [nil]
            defer { cArgs.forEach { free($0) } }
            var pid: pid_t = 0
            guard posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ) == 0 else {
                throw CocoaError(.executableLoad)
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            guard status == 0 else { throw CocoaError(.executableLoad) }
            return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        }

        func type(_ text: String) throws { try tmux(["send-keys", "-t", "0", "-l", text]) }
        func press(_ keys: String...) throws { try tmux(["send-keys", "-t", "0"] + keys) }
        var screen: String { (try? tmux(["capture-pane", "-t", "0", "-p"])) ?? "" }

        /// Waits until the screen satisfies `ok` (5 s at most).
        func waitFor(_ what: String, _ ok: (String) -> Bool) -> Bool {
            for _ in 0..<100 {
                if ok(screen) { return true }
                usleep(50_000)
            }
            Issue.record("never saw \(what); screen:\n\(screen)")
            return false
        }

        /// The last non-empty line (tmux drops trailing blanks, so "labsh> "
        /// reads "labsh>").
        var lastLine: String {
            screen.split(separator: "\n").last.map(String.init) ?? ""
        }

        var running: Bool { (try? tmux(["has-session"])) != nil }
    }

    @Test func typeCompleteInterruptAndLeave() throws {
        let t = try Terminal(env: [:])
        #expect(t.waitFor("the banner and prompt") { $0.contains("labsh 0.1.0") && t.lastLine == "labsh>" })

        try t.type("1+1")
        try t.press("Enter")
        #expect(t.waitFor("the result") { $0.contains("labsh> 1+1\n2\n") })

        try t.type("lab.sy")
        try t.press("Tab")
        #expect(t.waitFor("lab.sys completed") { _ in t.lastLine == "labsh> lab.sys" })
        try t.type(".p")
        try t.press("Tab")
        #expect(t.waitFor("lab.sys.pid completed") { _ in t.lastLine == "labsh> lab.sys.pid" })
        try t.press("C-c")  // Ctrl-C on a line clears it
        #expect(t.waitFor("a fresh prompt") { $0.contains("labsh> lab.sys.pid^C\n") && t.lastLine == "labsh>" })

        try t.type("while true do end")
        try t.press("Enter")
        usleep(300_000)
        try t.press("C-c")
        #expect(t.waitFor("the loop interrupted") { $0.contains("\ninterrupted\n") && t.lastLine == "labsh>" })

        try t.type("print('still alive')")
        try t.press("Enter")
        #expect(t.waitFor("the session goes on") { $0.contains("\nstill alive\n") })

        try t.press("C-d")
        for _ in 0..<100 where t.running { usleep(50_000) }
        #expect(!t.running, "Ctrl-D leaves")

        let history = try String(contentsOf: t.dir.appendingPathComponent("state/labsh/history"), encoding: .utf8)
        #expect(history.contains("1+1\n"))
        #expect(history.contains("print('still alive')\n"))
    }

    @Test func promptsFollowPromptGlobals() throws {
        let t = try Terminal(env: ["LABSH_INIT": "_PROMPT='ops> '_PROMPT2='ops... '"])
        #expect(t.waitFor("the custom prompt") { _ in t.lastLine == "ops>" })
        try t.type("for i = 1, 2 do")
        try t.press("Enter")
        #expect(t.waitFor("the continuation prompt") { _ in t.lastLine == "ops..." })
        try t.type("end")
        try t.press("Enter")
        try t.press("C-d")
    }
}

/// glibc's posix_spawn_file_actions_addclosefrom_np (2.34), which the Glibc
/// module does not show: the child closes every descriptor from `fd` on.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func closeFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ fd: Int32) -> Int32
