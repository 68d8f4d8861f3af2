import Foundation
import Testing

/// labsh's additions to batch mode: -m, long options, limits, signals.
@Suite struct BatchTests {
    func labsh(_ args: [String], stdin: String? = nil, env: [String: String] = [:],
               files: [String: String] = [:]) throws -> Outcome {
        let dir = try fixtureDirectory(files)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try run(labshBinary, args, stdin: stdin, env: env, in: dir)
    }

    @Test func scriptByNameFromLabshPath() throws {
        let dir = try fixtureDirectory([
            "lib/nightly-check.lua": "print('nightly', arg[0], arg[-1], ...)\n",
            "lib/report/init.lua": "print('report init', select('#', ...))\n",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["LABSH_PATH": dir.appendingPathComponent("lib").path]
        let r = try run(labshBinary, ["-m", "nightly-check", "a", "b"], env: env, in: dir)
        #expect(r == Outcome(stdout: "nightly\tnightly-check\t-m\ta\tb\n", stderr: "", status: 0))
        let r2 = try run(labshBinary, ["-mreport", "x"], env: env, in: dir)
        #expect(r2 == Outcome(stdout: "report init\t1\n", stderr: "", status: 0))
        let missing = try run(labshBinary, ["-m", "nope"], env: env, in: dir)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("PROG: no script 'nope' on the script path:\n\tno file '\(dir.path)/lib/nope.lua'"))
        let escape = try run(labshBinary, ["-m", "../etc/passwd"], env: env, in: dir)
        #expect(escape.status == 1)
    }

    @Test func embeddedScriptRunsByName() throws {
        let r = try labsh(["-m", "demo"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("labsh"))
    }

    @Test func labshPathShadowsEmbeddedModules() throws {
        let r = try labsh(["-e", "print(require('labsh.pretty').shadowed)"],
                          env: ["LABSH_PATH": "lib"],
                          files: ["lib/labsh/pretty.lua": "return {shadowed = 'yes'}\n"])
        #expect(r.stdout == "yes\n")
        let r2 = try labsh(["-e", "print(type(require('labsh.pretty').format))"])
        #expect(r2.stdout == "function\n", "the embedded copy without LABSH_PATH")
    }

    @Test func optionsReachLua() throws {
        let r = try labsh(["--dry-run", "--yes", "--format", "json", "--inventory=lab.lua", "--timeout", "30",
                           "--memory-limit", "64M", "-e",
                           "local o = lab.options print(o.dry_run, o.yes, o.format, o.inventory, o.timeout, o.memory_limit)"])
        #expect(r == Outcome(stdout: "true\ttrue\tjson\tlab.lua\t30.0\t67108864\n", stderr: "", status: 0))
        let d = try labsh(["-e", "local o = lab.options print(o.dry_run, o.yes, o.format, o.inventory)"])
        #expect(d.stdout == "false\tfalse\ttext\tnil\n")
    }

    @Test func badOptionValuesAreClearErrors() throws {
        for (args, text) in [(["--format", "xml"], "bad value for --format: 'xml' (text, json or html expected)"),
                             (["--timeout", "soon"], "bad value for --timeout: 'soon' (seconds expected)"),
                             (["--memory-limit", "lots"], "bad value for --memory-limit: 'lots' (a size like 64M or 1G expected)"),
                             (["--timeout"], "'--timeout' needs argument")] {
            let r = try labsh(args)
            #expect(r.status == 1)
            #expect(r.stderr.hasPrefix("PROG: \(text)\nusage: PROG [options] [script [args]]\n"), "\(r)")
        }
    }

    @Test func versionAndHelp() throws {
        let v = try labsh(["--version"])
        #expect(v.stdout.hasPrefix("labsh 0.1.0 (Lua 5.4.4)"))
        let h = try labsh(["--help"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("--memory-limit SIZE"))
        #expect(h.stdout.contains("-m NAME"))
    }

    @Test func interactiveAfterOptionsReadsStdin() throws {
        let r = try labsh(["-i", "-e", "x = 41"], stdin: "print(x + 1)\n{1, 2}\nerror('no')\n")
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("labsh 0.1.0 (Lua 5.4.4)"))
        #expect(r.stdout.contains("labsh> print(x + 1)\n42\n"))
        #expect(r.stdout.contains("{ 1, 2 }\n"))
        #expect(r.stderr.hasPrefix("stdin:1: no\nstack traceback:"), "errors at the prompt have no program prefix, as in lua")
    }

    @Test func inventoryComesFromOptionEnvironmentOrBuiltIn() throws {
        let tiny = """
            return {
              site = { name = "tiny", domain = "tiny.local", timezone = "UTC" },
              nodes = { { name = "solo", kind = "hypervisor", address = "10.0.0.5", vlans = { 10 } } },
              vlans = { { id = 10, name = "m", subnet = "10.0.0.0/24", gateway = "10.0.0.1", zone = "m", trust = "high" } },
              policy = { default = "deny", rules = {} },
            }
            """
        let show = ["-e", "print(lab.inventory.summary().file, #lab.nodes())"]
        let files = ["tiny.lua": tiny, "other.lua": tiny.replacingOccurrences(of: "solo", with: "duo")]
        #expect(try labsh(show).stdout == "(built-in homelab)\t9\n")
        #expect(try labsh(["--inventory", "tiny.lua"] + show, files: files).stdout == "tiny.lua\t1\n")
        #expect(try labsh(show, env: ["LABSH_INVENTORY": "other.lua"], files: files).stdout == "other.lua\t1\n")
        let both = try labsh(["--inventory", "tiny.lua", "-e", "print(lab.nodes()[1].name)"],
                             env: ["LABSH_INVENTORY": "other.lua"], files: files)
        #expect(both.stdout == "solo\n", "the option wins over the environment")
    }

    @Test func brokenInventoryExitsOneWithEveryProblem() throws {
        let bad = """
            return {
              site = { name = "x", domain = "x.local" },
              nodes = { { name = "a", kind = "mainframe", address = "10.0.0.300" } },
              vlans = {},
              policy = { default = "deny", rules = {} },
            }
            """
        let r = try labsh(["--inventory", "bad.lua", "-e", "print(#lab.nodes())"], files: ["bad.lua": bad])
        #expect(r.status == 1)
        #expect(r.stdout == "")
        #expect(r.stderr.contains("bad.lua:2: site: missing required field 'timezone'"), "\(r)")
        #expect(r.stderr.contains("bad.lua:3: nodes[1].kind: 'mainframe' is not one of hypervisor, workstation, server, nas, sbc, gateway, switch, router"))
        #expect(r.stderr.contains("bad.lua:3: nodes[1].address: "))
        #expect(!r.stderr.contains("stack traceback"), "an error object prints as its message")
        let missing = try labsh(["--inventory", "nowhere.lua", "-e", "print(#lab.nodes())"])
        #expect(missing == Outcome(stdout: "", stderr: "PROG: cannot read inventory nowhere.lua: No such file or directory\n", status: 1))
    }

    @Test func lintReportsThePlansTotalsAgainstItsNodes() throws {
        let r = try labsh(["-m", "lint"])
        #expect(r.status == 1, "findings")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("hypervisor ram: the plan says 112GB; the nodes add up to 116.0 GiB (124.6 GB)"))
        #expect(lines.contains("hypervisor storage: the plan says 2.9TB; the nodes add up to 3282.0 GiB (3524.0 GB)"))
        #expect(lines.contains("all cores: the plan says 50+; the nodes add up to 48 (assumed: z440.cpu)"))
        #expect(!lines.contains { $0.hasPrefix("workstation") }, "48GB and 752GB agree with the Z440")
        let clean = """
            return {
              site = { name = "t", domain = "t.local", timezone = "UTC" },
              nodes = { { name = "a", kind = "hypervisor", address = "10.0.0.5", ram = "8GiB", vlans = { 10 },
                          disks = { { type = "ssd", size = "1TB" } } } },
              vlans = { { id = 10, name = "m", subnet = "10.0.0.0/24", gateway = "10.0.0.1", zone = "m", trust = "high" } },
              policy = { default = "deny", rules = {} },
              capacity = { target_band = { 70, 85 }, growth = { compute = 20 },
                           stated = { hypervisor = { ram = "8GB", storage = "1TB" } } },
            }
            """
        let ok = try labsh(["--inventory", "t.lua", "-m", "lint"], files: ["t.lua": clean])
        #expect(ok == Outcome(stdout: "", stderr: "", status: 0), "8GB read as 8 GiB agrees")
        let broken = try labsh(["--inventory", "t.lua", "-m", "lint"], files: ["t.lua": "return {}"])
        #expect(broken.status == 1, "2 is a usage error (labsh.cli)")
        #expect(broken.stderr.contains("t.lua: (top level): missing required field 'site'"), "\(broken)")
    }

    @Test func inventoryInitWritesTheDefaultOnce() throws {
        let dir = try fixtureDirectory([:])
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["XDG_CONFIG_HOME": dir.appendingPathComponent("config").path]
        let dry = try run(labshBinary, ["--dry-run", "-m", "inventory", "init"], env: env, in: dir)
        #expect(dry.status == 0)
        #expect(dry.stdout.hasPrefix("would write "))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("config").path), "nothing written")
        let first = try run(labshBinary, ["-m", "inventory", "init"], env: env, in: dir)
        #expect(first.status == 0, "\(first)")
        let written = dir.appendingPathComponent("config/labsh/inventory.lua")
        let text = try String(contentsOf: written, encoding: .utf8)
        // The built-in homelab, its shipped jobs (homelab_jobs.lua) written in.
        let embedded = try String(contentsOf: repoRoot.appendingPathComponent("stdlib/labsh/homelab.lua"), encoding: .utf8)
        let body = embedded.prefix(upTo: embedded.lastIndex(of: "}")!)
        #expect(text.hasPrefix(body) && text.contains("  jobs = {") && text.hasSuffix("},\n}\n"))
        let used = try run(labshBinary, ["-e", "print(lab.inventory.summary().file)"], env: env, in: dir)
        #expect(used.stdout == written.path + "\n", "labsh picks it up")
        try "-- mine\n".write(to: written, atomically: true, encoding: .utf8)
        let second = try run(labshBinary, ["-m", "inventory", "init"], env: env, in: dir)
        #expect(second.status == 1)
        #expect(second.stderr.contains("exists; labsh will not overwrite it"))
        #expect(try String(contentsOf: written, encoding: .utf8) == "-- mine\n", "nothing lost")
    }

    @Test func labNamespaceLoadsLazily() throws {
        let r = try labsh(["-e", """
            print(rawget(lab, 'sys'), package.loaded['lab.sys'])
            local pid = lab.sys.pid()
            print(math.type(pid), rawget(lab, 'sys') == package.loaded['lab.sys'], lab.nothing)
            print(require('lab.sys') == lab.sys, lab.version)
            """])
        #expect(r == Outcome(stdout: "nil\tnil\ninteger\ttrue\tnil\ntrue\t0.1.0\n", stderr: "", status: 0))
    }

    @Test func moduleNotFoundNamesTheScriptPath() throws {
        let r = try labsh(["-e", "require 'no.such.module'"], env: ["LABSH_PATH": "/opt/team"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("module 'no.such.module' not found:"))
        #expect(r.stderr.contains("no file '/opt/team/no/such/module.lua'"))
        #expect(r.stderr.contains("no embedded file 'stdlib/no/such/module.lua'"))
        #expect(r.stderr.contains("no field package.preload['no.such.module']"))
    }

    @Test func timeoutStopsALoop() throws {
        let start = Date()
        let r = try labsh(["--timeout", "0.3", "-e", "while true do end"])
        let elapsed = Date().timeIntervalSince(start)
        #expect(r == Outcome(stdout: "", stderr: "PROG: timeout after 0.3 s\n", status: 124))
        #expect(elapsed < 2.0)
    }

    @Test func timeoutCannotBeSwallowedByPcall() throws {
        let r = try labsh(["--timeout", "0.3", "-e", """
            while true do
                pcall(function() while true do end end)
                pcall(error, 'x')
            end
            """])
        #expect(r.status == 124, "\(r)")
        #expect(r.stderr == "PROG: timeout after 0.3 s\n")
    }

    @Test func memoryLimitIsCatchableAndUncaughtExitsOne() throws {
        let caught = try labsh(["--memory-limit", "16M", "-e", "print(pcall(string.rep, 'x', 64 << 20)) print('still here')"])
        #expect(caught == Outcome(stdout: "false\tnot enough memory\nstill here\n", stderr: "", status: 0))
        let uncaught = try labsh(["--memory-limit", "16M", "-e", "local t = {} for i = 1, 1e8 do t[i] = i end"])
        #expect(uncaught.status == 1)
        #expect(uncaught.stderr == "PROG: not enough memory\n")
    }

    /// SIGINT/SIGTERM: to-be-closed variables and finalizers run, then 130/143.
    @Test(arguments: [(SIGTERM, Int32(143), "terminated"), (SIGINT, Int32(130), "interrupted")])
    func signalsStopCleanly(_ signal: Int32, _ status: Int32, _ word: String) throws {
        let dir = try fixtureDirectory(["job.lua": """
            keep = setmetatable({}, {__gc = function() io.stdout:write('finalized\\n') end})
            local lock <close> = setmetatable({}, {__close = function() io.stdout:write('lock released\\n') end})
            io.stdout:write('ready\\n') io.stdout:flush()
            while true do pcall(function() end) end
            """])
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: labshBinary)
        p.arguments = ["job.lua"]
        p.currentDirectoryURL = dir
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let ready = out.fileHandleForReading.availableDataOrWait(minBytes: 6)
        #expect(String(decoding: ready, as: UTF8.self) == "ready\n")
        kill(p.processIdentifier, signal)
        let rest = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == status)
        #expect(String(decoding: rest, as: UTF8.self) == "lock released\nfinalized\n")
        #expect(errText == "\(labshBinary): \(word)\n")
    }

    @Test func stdlibIsEmbeddedAsIs() throws {
        // labsh lists what it embeds; each must equal the file in the tree, and
        // every Lua file of stdlib/ and scripts/ (and schema of schemas/) must be embedded.
        let r = try labsh(["-e", """
            local host = require 'labsh.host'
            for _, path in ipairs(host.embedded_paths()) do
                io.write(path, '\\0', host.embedded(path), '\\0')
            end
            """])
        #expect(r.status == 0, "\(r)")
        var parts = r.stdout.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        parts.removeLast()
        var embedded: [String: String] = [:]
        for i in stride(from: 0, to: parts.count, by: 2) { embedded[parts[i]] = parts[i + 1] }
        var onDisk: [String] = []
        for (dir, ext) in [("stdlib", "lua"), ("scripts", "lua"), ("schemas", "json")] {
            let base = repoRoot.appendingPathComponent(dir)
            let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)
            while let url = walker?.nextObject() as? URL {
                guard url.pathExtension == ext else { continue }
                onDisk.append(dir + url.standardizedFileURL.path.dropFirst(base.standardizedFileURL.path.count))
            }
        }
        #expect(Set(embedded.keys) == Set(onDisk))
        for path in onDisk {
            let text = try String(contentsOf: repoRoot.appendingPathComponent(path), encoding: .utf8)
            #expect(embedded[path] == text, "\(path) differs from its embedded copy: rebuild")
        }
    }
}

extension FileHandle {
    /// Reads until at least `minBytes` arrived (or end of file).
    func availableDataOrWait(minBytes: Int) -> Data {
        var data = Data()
        while data.count < minBytes {
            let chunk = availableData
            if chunk.isEmpty { break }
            data.append(chunk)
        }
        return data
    }
}
