import Foundation
import Testing

/// Issue 15's completions at a real prompt (tmux), beyond lab.node: guest,
/// service and VLAN names inside their functions, a guest's methods after
/// `:`, and Tab never running what the user defined.
@Suite struct Issue15GapsCompletionTests {
    typealias Terminal = ReplTests.Terminal

    @Test func guestServiceAndVLANNamesComplete() throws {
        let t = try Terminal(env: [:])
        #expect(t.waitFor("the prompt") { _ in t.lastLine == "labsh>" })

        try t.type("lab.service(\"graf")
        try t.press("Tab")
        #expect(t.waitFor("the service name completed") { _ in t.lastLine.hasPrefix("labsh> lab.service(\"grafana") }, "\(t.screen)")
        try t.press("C-u")

        try t.type("lab.vlan(3")
        try t.press("Tab")
        #expect(t.waitFor("the VLAN id completed") { _ in t.lastLine.hasPrefix("labsh> lab.vlan(30") }, "\(t.screen)")
        try t.press("C-u")

        try t.type("lab.guest(\"k8s-m")
        try t.press("Tab")
        try t.press("Tab")  // readline lists the matches at the second Tab
        #expect(t.waitFor("the guests listed") { s in ["m1", "m2", "m3"].allSatisfy { s.contains($0) } }, "\(t.screen)")
        try t.type("1\"):sn")
        try t.press("Tab")
        #expect(t.waitFor("the guest's method completed") { _ in t.lastLine.hasPrefix("labsh> lab.guest(\"k8s-m1\"):snapshot") },
                "\(t.screen)")
        try t.press("C-c")
    }

    @Test func tabRunsNoUserCode() throws {
        let t = try Terminal(env: [:])
        #expect(t.waitFor("the prompt") { _ in t.lastLine == "labsh>" })
        // the marker is built when f runs, so the typed text never shows it
        try t.type("function f() print(\"RAN\" .. \"MARK\") return lab.node(\"pve1\") end")
        try t.press("Enter")
        #expect(t.waitFor("the prompt again") { _ in t.lastLine == "labsh>" })
        try t.type("f():")
        try t.press("Tab")
        try t.press("Tab")
        try t.type("x")
        #expect(t.waitFor("the typed text") { _ in t.lastLine.hasSuffix("f():x") }, "\(t.screen)")
        #expect(!t.screen.contains("RANMARK"), "Tab ran f:\n\(t.screen)")
        try t.press("C-c")
    }
}
