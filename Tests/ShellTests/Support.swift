import Foundation
import Testing

/// The labsh binary under test: $LABSH_BIN, else the debug build.
let labshBinary: String = {
    if let b = ProcessInfo.processInfo.environment["LABSH_BIN"] { return b }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/labsh").path
}()

let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

struct Outcome: Equatable, CustomStringConvertible {
    var stdout: String
    var stderr: String
    var status: Int32
    var description: String { "status \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Runs `program args` in `dir` with a clean environment plus `env`, feeding
/// `stdin`; the program's own path in the output becomes "PROG".
func run(_ program: String, _ args: [String], stdin: String? = nil, env: [String: String] = [:],
         in dir: URL, timeout: TimeInterval = 20) throws -> Outcome {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = args
    p.currentDirectoryURL = dir
    var environment = ["PATH": "/usr/bin:/bin", "HOME": dir.path, "LANG": "C.UTF-8"]
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    // A program may exit without reading its input (`-e` cases): writing
    // to it then fails with EPIPE, which must not kill the test process.
    signal(SIGPIPE, SIG_IGN)
    try p.run()
    if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin.data(using: .utf8)!) }
    try? input.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    func norm(_ d: Data) -> String {
        String(decoding: d, as: UTF8.self).replacingOccurrences(of: program, with: "PROG")
    }
    return Outcome(stdout: norm(outData), stderr: norm(errData), status: p.terminationStatus)
}

/// A temporary directory holding `files`, removed by the caller.
func fixtureDirectory(_ files: [String: String]) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("labsh-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (name, text) in files {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
    return dir
}
