import Foundation
import Testing

/// Issue 15 at a real prompt (tmux): Tab offers the inventory's names inside
/// `lab.node("` and a call's methods after `:`, and output fits the terminal.
@Suite struct CompletionNamesTests {
    typealias Terminal = ReplTests.Terminal

    @Test func namesInQuotesAndMethodsOfACallsResult() throws {
        let t = try Terminal(env: [:])
        #expect(t.waitFor("the prompt") { _ in t.lastLine == "labsh>" })

        try t.type("lab.node(\"z4")
        try t.press("Tab")
        #expect(t.waitFor("the node name completed") { _ in t.lastLine.hasPrefix("labsh> lab.node(\"z440") })
        try t.type(")")  // readline may have closed the quote itself
        #expect(t.waitFor("the parenthesis echoed") { _ in t.lastLine.hasSuffix(")") })
        if !t.lastLine.hasSuffix("\")") {
            try t.press("BSpace")
            try t.type("\")")
        }
        try t.type(":fr")
        try t.press("Tab")
        #expect(t.waitFor("the method completed") { _ in t.lastLine == "labsh> lab.node(\"z440\"):free" })
        try t.type("() > 0")
        try t.press("Enter")
        #expect(t.waitFor("the method ran") { $0.contains("\ntrue\n") })

        try t.type("lab.node(\"pv")
        try t.press("Tab")
        #expect(t.waitFor("the common prefix") { _ in t.lastLine == "labsh> lab.node(\"pve" })
        try t.press("Tab")  // readline lists them at the second Tab on the same text
        try t.press("Tab")
        #expect(t.waitFor("every match listed") { s in (1...5).allSatisfy { s.contains("pve\($0)") } })
        try t.press("C-c")
    }

    @Test func tablesFitTheTerminal() throws {
        let t = try Terminal(env: [:])
        #expect(t.waitFor("the prompt") { _ in t.lastLine == "labsh>" })
        try t.tmux(["resize-window", "-t", "0", "-x", "60"])
        usleep(200_000)
        try t.type("lab.sim.n_minus_1()")
        try t.press("Enter")
        #expect(t.waitFor("the table") { $0.contains("why: ") && t.lastLine == "labsh>" })
        // -J joins what the terminal wrapped: a line too wide shows whole
        let lines = try t.tmux(["capture-pane", "-t", "0", "-p", "-J"]).split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 60 }, "a line wider than 60 columns:\n\(t.screen)")
        #expect(lines.contains { $0.hasPrefix("node ") }, "the row label leads")
    }
}
