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

// MARK: Fan-out: many children in one poll loop

/// The pipes this process holds open, as their links read: "pipe:[INODE]".
private func openPipes() -> Set<String> {
    var pipes: Set<String> = []
    guard let dir = opendir("/proc/self/fd") else { return pipes }
    defer { closedir(dir) }
    var target = [CChar](repeating: 0, count: 256)
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
        }
        guard name.first?.isNumber == true else { continue }
        let n = readlink("/proc/self/fd/\(name)", &target, target.count - 1)
        guard n > 0 else { continue }
        let link = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if link.hasPrefix("pipe:") { pipes.insert(link) }
    }
    return pipes
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

private func outcomes(_ results: [Result<ProcessOutcome, ProcessError>]) -> [ProcessOutcome?] {
    results.map { try? $0.get() }
}

/// Whether process `pid` still exists (a zombie counts).
private func exists(_ pid: String) -> Bool { access("/proc/\(pid)", F_OK) == 0 }

@Suite(.serialized) struct FanOutTests {
    @Test func fanOutRunsInParallelAndKeepsOrder() throws {
        let specs = (1...20).map { n in ProcessSpec(argv: ["/bin/sh", "-c", "sleep 0.2; echo \(n)"]) }
        let start = ProcessRunner.now()
        let results = try ProcessRunner.runAll(specs, parallel: 10)
        let elapsed = ProcessRunner.now() - start
        #expect(outcomes(results).map { $0.map { text($0.stdout) } } == (1...20).map { "\($0)\n" })
        #expect(outcomes(results).allSatisfy { $0?.status == 0 })
        #expect(elapsed > 0.38, "two waves of 0.2 s")
        #expect(elapsed < 1.5, "parallel, not one after another: \(elapsed) s")
    }

    @Test func atMostParallelChildrenAtOnce() throws {
        // Each child notes its start and end; at no time are more than 3 running.
        let specs = (1...9).map { _ in
            ProcessSpec(argv: ["/bin/sh", "-c", "echo start; sleep 0.1; echo end"])
        }
        var live = 0, most = 0
        _ = try ProcessRunner.runAll(specs, parallel: 3, onLine: { _, _, line in
            if text(line) == "start" { live += 1; most = max(most, live) }
        }, onExit: { _, _ in live -= 1 })
        #expect(most == 3)
        #expect(live == 0)
    }

    @Test func eachTimeoutEndsOnlyItsChild() throws {
        var slow = ProcessSpec(argv: ["/bin/sh", "-c", "sleep 30"])
        slow.timeout = 0.3
        var fast = ProcessSpec(argv: ["/bin/sh", "-c", "sleep 0.5; echo done"])
        fast.timeout = 5
        let start = ProcessRunner.now()
        let results = outcomes(try ProcessRunner.runAll([fast, slow, fast], parallel: 3))
        #expect(ProcessRunner.now() - start < 1.5)
        #expect(results[1]?.timedOut == true)
        #expect(results[1]?.signal == SIGTERM)
        #expect(results[1].map { $0.elapsed < 1 } == true)
        for i in [0, 2] {
            #expect(results[i]?.timedOut == false)
            #expect(results[i]?.status == 0)
            #expect(results[i].map { text($0.stdout) } == "done\n")
        }
    }

    @Test func aMissingProgramIsOneFailureAmongSuccesses() throws {
        var specs = (0..<5).map { n in ProcessSpec(argv: ["/bin/sh", "-c", "echo \(n)"]) }
        specs[2] = ProcessSpec(argv: ["labsh-no-such-program", "x"])
        specs[4].cwd = "/labsh-no-such-directory"
        var exits: [Int] = []
        let results = try ProcessRunner.runAll(specs, parallel: 2, onExit: { i, _ in exits.append(i) })
        #expect(exits.sorted() == [0, 1, 2, 3, 4])
        for i in [0, 1, 3] { #expect((try? results[i].get()).map { text($0.stdout) } == "\(i)\n") }
        guard case .failure(let missing) = results[2], case .failure(let nowhere) = results[4] else {
            Issue.record("expected failures at 2 and 4: \(results)")
            return
        }
        #expect(missing.message == "cannot run 'labsh-no-such-program': not found on PATH")
        #expect(missing.errno == ENOENT)
        #expect(missing.argv == ["labsh-no-such-program", "x"])
        #expect(nowhere.message.contains("no directory"))
    }

    @Test func onLineAndOnExitGetTheSpecIndex() throws {
        let specs = (0..<12).map { n in
            ProcessSpec(argv: ["/bin/sh", "-c", "echo out\(n); echo err\(n) >&2; sleep 0.0\(n % 3); printf last\(n)"])
        }
        var seen: [(Int, ProcessStream, String)] = []
        var exited: [Int: Int32] = [:]
        _ = try ProcessRunner.runAll(specs, parallel: 5, onLine: { i, stream, line in
            seen.append((i, stream, text(line)))
        }, onExit: { i, result in
            exited[i] = try result.get().status
        })
        #expect(seen.count == 36)
        for (i, stream, line) in seen {
            let expected = stream == .stderr ? ["err\(i)"] : ["out\(i)", "last\(i)"]
            #expect(expected.contains(line), "\(i) \(stream.name) \(line)")
        }
        #expect(exited == Dictionary(uniqueKeysWithValues: (0..<12).map { ($0, Int32(0)) }))
    }

    @Test func stdinGoesToEachChild() throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 200_000)
        let specs = (0..<8).map { n in
            var spec = ProcessSpec(argv: ["cat"])
            spec.stdin = n == 7 ? big : Array("input \(n)".utf8)
            return spec
        }
        let results = outcomes(try ProcessRunner.runAll(specs, parallel: 4))
        for n in 0..<7 { #expect(results[n].map { text($0.stdout) } == "input \(n)") }
        #expect(results[7]?.stdout == big)
    }

    @Test func noDescriptorsOrZombiesStay() throws {
        // Each child names its pid and the pipes it was given (stdin, stdout,
        // stderr): this process's ends are the same pipes ("pipe:[INODE]").
        // Only those count: the tests of other suites run beside this one
        // and open pipes of their own.
        var theirs: Set<String> = [], seen: Set<String> = []
        var pids: [String] = []
        let report = "echo $$ $(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2); cat >/dev/null"
        let specs = (0..<20).map { _ in
            var spec = ProcessSpec(argv: ["/bin/sh", "-c", report])
            spec.stdin = Array("x".utf8)
            return spec
        }
        let results = try ProcessRunner.runAll(specs, parallel: 10, onLine: { _, _, line in
            let words = text(line).split(separator: " ").map(String.init)
            pids += words.prefix(1)
            theirs.formUnion(words.dropFirst().filter { $0.hasPrefix("pipe:") })
            seen.formUnion(openPipes())
        })
        #expect(results.count == 20)
        #expect(pids.count == 20)
        #expect(theirs.count == 60, "each child's stdin, stdout and stderr is a pipe of its own")
        #expect(theirs.intersection(seen).count >= 20, "the children's pipes were seen here")
        let left = theirs.intersection(openPipes())
        #expect(left.isEmpty, "pipes left open: \(left)")
        #expect(pids.filter(exists).isEmpty, "children left (zombies?)")
    }

    @Test func aCallbackErrorStopsEveryChildAndIsRethrown() {
        struct Enough: Error {}
        let specs = (0..<6).map { _ in ProcessSpec(argv: ["/bin/sh", "-c", "echo $$; exec sleep 30"]) }
        var pids: [String] = []
        var exits = 0
        let start = ProcessRunner.now()
        #expect(throws: Enough.self) {
            _ = try ProcessRunner.runAll(specs, parallel: 3, onLine: { _, _, line in
                pids.append(text(line))
                if pids.count == 2 { throw Enough() }
            }, onExit: { _, _ in exits += 1 })
        }
        #expect(ProcessRunner.now() - start < 2.5)
        #expect(exits == 0, "no callbacks after the error")
        #expect(pids.count == 2)
        #expect(pids.filter(exists).isEmpty, "children left")
    }

    @Test func aStopEndsTheRunningAndStartsNoMore() throws {
        final class Flag { var set = false }
        let flag = Flag()
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let stop = ProcessStop(fd: fds[0], isRequested: { flag.set }, grace: { 0.5 })
        let specs = (0..<5).map { _ in ProcessSpec(argv: ["/bin/sh", "-c", "trap '' TERM; echo $$; sleep 30"]) }
        var pids: [String] = []
        let start = ProcessRunner.now()
        let results = outcomes(try ProcessRunner.runAll(specs, parallel: 2, stop: stop, onLine: { _, _, line in
            pids.append(text(line))
            if pids.count == 2 {  // as a signal handler would
                flag.set = true
                _ = write(fds[1], "x", 1)
            }
        }))
        let elapsed = ProcessRunner.now() - start
        #expect(elapsed > 0.4 && elapsed < 1.5, "SIGKILL after the stop's 0.5 s grace: \(elapsed)")
        #expect(results.allSatisfy { $0?.stopped == true })
        #expect(results[0]?.signal == SIGKILL && results[1]?.signal == SIGKILL)
        #expect(results[2...].allSatisfy { $0?.status == nil && $0?.signal == nil }, "never started")
        #expect(pids.filter(exists).isEmpty, "children left")
    }

    @Test func manyShortChildren() throws {
        let specs = (0..<100).map { _ in ProcessSpec(argv: ["true"]) }
        let start = ProcessRunner.now()
        let results = outcomes(try ProcessRunner.runAll(specs, parallel: 20))
        let elapsed = ProcessRunner.now() - start
        #expect(results.allSatisfy { $0?.status == 0 })
        #expect(elapsed < 2, "\(elapsed) s for 100")
    }
}
