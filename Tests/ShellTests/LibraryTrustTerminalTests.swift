import Foundation
import Testing

/// Trust on first use at a terminal (tmux): a library not trusted yet is
/// shown and asked about; "y" records it and the script runs, anything else
/// refuses it. (From cron it is refused: Tests/lua/library_trust_spec.lua.)
@Suite struct LibraryTrustTerminalTests {
    typealias Terminal = ReplTests.Terminal

    /// A one-script library in a fresh directory.
    func library() throws -> URL {
        try fixtureDirectory([
            "library.lua": "return { name = \"t\", version = \"1.0.0\" }\n",
            "scripts/hello.lua": "print(\"hello from the library\")\n",
        ])
    }

    @Test func aYesTrustsTheLibraryAndTheScriptRuns() throws {
        let lib = try library()
        defer { try? FileManager.default.removeItem(at: lib) }
        let t = try Terminal(env: ["LABSH_PATH": lib.path], arguments: ["-m", "hello"], keepOpen: true)
        #expect(t.waitFor("the question") { $0.contains("is not trusted yet.") && $0.contains("[y/N]") })
        try t.type("y")
        try t.press("Enter")
        #expect(t.waitFor("the script's output") { $0.contains("hello from the library") })
        let record = try String(contentsOf: t.dir.appendingPathComponent("state/labsh/trusted-libraries"), encoding: .utf8)
        #expect(record.contains("scripts/hello.lua"))
    }

    @Test func anythingElseRefusesIt() throws {
        let lib = try library()
        defer { try? FileManager.default.removeItem(at: lib) }
        let t = try Terminal(env: ["LABSH_PATH": lib.path], arguments: ["-m", "hello"], keepOpen: true)
        #expect(t.waitFor("the question") { $0.contains("[y/N]") })
        try t.press("Enter")
        #expect(t.waitFor("the refusal") { $0.contains("refusing the script library") && $0.contains("labsh -m library trust") })
        #expect(!t.screen.contains("hello from the library"))
    }
}
