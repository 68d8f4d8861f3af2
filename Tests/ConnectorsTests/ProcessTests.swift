import Testing
@testable import Connectors
#if canImport(Glibc)
import Glibc
#endif

// The process runner's pure parts, and a few runs of /bin/sh. The Lua specs
// (Tests/lua/restic_spec.lua) cover stops, timeouts and the binding.

@Test func tailBufferKeepsTheLastBytes() {
    var tail = TailBuffer(limit: 10)
    for i in 0..<100_000 { tail.append([UInt8(i % 256)]) }
    let kept = tail.finish()
    #expect(kept == (99_990..<100_000).map { UInt8($0 % 256) })
    #expect(tail.dropped == 99_990)
    var none = TailBuffer(limit: 0)
    none.append([1, 2, 3])
    #expect(none.finish().isEmpty)
    #expect(none.dropped == 3)
}

@Test func lineSplitterAcrossChunks() {
    var lines = LineSplitter()
    #expect(lines.feed(Array("one\ntw".utf8)) == [Array("one".utf8)])
    #expect(lines.feed(Array("o\n\nthree".utf8)) == [Array("two".utf8), []])
    #expect(lines.finish() == Array("three".utf8))
    #expect(lines.finish() == nil)
}

@Test func lineSplitterCutsEndlessLines() {
    var lines = LineSplitter(maxLine: 4)
    #expect(lines.feed(Array("abcdefghij\n".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["abcd", "efgh", "ij"])
}

@Test func environmentChangesApplyInOrder() {
    let base = ["PATH=/bin", "HOME=/root", "HOMEDIR=x"]
    #expect(mergedEnvironment(base, [("HOME", nil), ("A", "1"), ("PATH", "/usr/bin")])
            == ["HOMEDIR=x", "A=1", "PATH=/usr/bin"])
}

@Test func runsAProgramWithInputAndExitCode() throws {
    var spec = ProcessSpec(argv: ["/bin/sh", "-c", "cat; echo err >&2; exit 3"])
    spec.stdin = Array("in".utf8)
    let outcome = try ProcessRunner.run(spec)
    #expect(outcome.status == 3)
    #expect(outcome.signal == nil)
    #expect(outcome.stdout == Array("in".utf8))
    #expect(outcome.stderr == Array("err\n".utf8))
}

@Test func timeoutEndsTheGroup() throws {
    var spec = ProcessSpec(argv: ["/bin/sh", "-c", "sleep 30"])
    spec.timeout = 0.2
    let outcome = try ProcessRunner.run(spec)
    #expect(outcome.timedOut)
    #expect(outcome.signal == SIGTERM)
    #expect(outcome.elapsed < 1.5)
}

@Test func missingProgramIsAnError() {
    #expect(throws: ProcessError.self) { try ProcessRunner.run(ProcessSpec(argv: ["labsh-no-such-program"])) }
    do {
        _ = try ProcessRunner.run(ProcessSpec(argv: ["labsh-no-such-program"]))
    } catch let error as ProcessError {
        #expect(error.message == "cannot run 'labsh-no-such-program': not found on PATH")
        #expect(error.errno == ENOENT)
    } catch {
        Issue.record("unexpected \(error)")
    }
}

@Test func aCallbackErrorStopsTheProgram() {
    struct Enough: Error {}
    let spec = ProcessSpec(argv: ["/bin/sh", "-c", "echo a; sleep 30"])
    let start = ProcessRunner.now()
    #expect(throws: Enough.self) { try ProcessRunner.run(spec) { _, _ in throw Enough() } }
    #expect(ProcessRunner.now() - start < 2.5)
}
