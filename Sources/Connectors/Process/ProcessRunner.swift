#if canImport(Glibc)
import Glibc
#endif

/// Runs programs with posix_spawn, each in its own process group, and
/// collects their output in one poll loop that also watches for a stop. On
/// a timeout, a stop or an error in a callback, a program's whole group gets
/// SIGTERM and, `killGrace` seconds later, SIGKILL; every child is reaped.
public enum ProcessRunner {
    /// Runs `spec`. `onLine` gets each output line on the caller's thread
    /// between polls; what it throws is rethrown once the child is gone.
    public static func run(_ spec: ProcessSpec, stop: ProcessStop? = nil,
                           onLine: ((ProcessStream, [UInt8]) throws -> Void)? = nil) throws -> ProcessOutcome {
        let lines = onLine.map { f in { (_: Int, stream: ProcessStream, line: [UInt8]) throws in try f(stream, line) } }
        switch try runAll([spec], parallel: 1, stop: stop, onLine: lines)[0] {
        case .success(let outcome): return outcome
        case .failure(let error): throw error
        }
    }

    /// Runs all of `specs`, at most `parallel` at a time (the next starts as
    /// soon as one ends), in one poll loop; the results come in spec order.
    /// Each timeout counts from that program's own start. A program that
    /// cannot be started is its spec's `.failure`; the others go on.
    /// `onLine(i, stream, line)` and `onExit(i, result)` (i: the spec's
    /// index) run on the caller's thread between polls. A stop request ends
    /// every running program (their outcomes are `stopped`) and starts no
    /// more (those specs get an outcome with `stopped` and neither status
    /// nor signal). What a callback throws stops everything the same way and
    /// is rethrown once every child is reaped.
    public static func runAll(_ specs: [ProcessSpec], parallel: Int = 16, stop: ProcessStop? = nil,
                              onLine: ((Int, ProcessStream, [UInt8]) throws -> Void)? = nil,
                              onExit: ((Int, Result<ProcessOutcome, ProcessError>) throws -> Void)? = nil)
        throws -> [Result<ProcessOutcome, ProcessError>] {
        try FanOut(specs: specs, parallel: parallel, stop: stop, onLine: onLine, onExit: onExit).run()
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Why a group is being stopped.
enum Ending { case timeout, stop, callbackError }

/// One program being run: its child and what has been collected of it.
final class Job {
    let index: Int
    let spec: ProcessSpec
    var child: Child
    var out: TailBuffer
    var err: TailBuffer
    var outLines = LineSplitter()
    var errLines = LineSplitter()
    let input: [UInt8]
    var written = 0
    let deadline: Double?
    var ending: Ending?
    var killAt = Double.infinity
    var killed = false
    var exitedAt: Double?
    /// When both output pipes reached their end (then only the exit is
    /// left to wait for, polled with a backoff).
    var pipesClosedAt: Double?
    /// Reaped, output done, stopping: waits for the rest of its group.
    var lingering = false

    init(index: Int, spec: ProcessSpec) throws {
        self.index = index
        self.spec = spec
        var child = try Child.spawn(spec)
        input = spec.stdin ?? []
        if input.isEmpty { Child.closeFD(&child.stdinFD) }
        deadline = spec.timeout.map { [started = child.started] in started + $0 }
        self.child = child
        out = TailBuffer(limit: spec.maxOutput)
        err = TailBuffer(limit: spec.maxOutput)
    }

    var pipesOpen: Bool { child.outFD >= 0 || child.errFD >= 0 }

    func outcome() -> ProcessOutcome {
        var outcome = ProcessOutcome()
        let status = child.waitStatus
        if (status & 0x7f) == 0 { outcome.status = (status >> 8) & 0xff } else { outcome.signal = status & 0x7f }
        outcome.stdout = out.finish()
        outcome.stderr = err.finish()
        outcome.stdoutDropped = out.dropped
        outcome.stderrDropped = err.dropped
        outcome.elapsed = ProcessRunner.now() - child.started
        outcome.timedOut = ending == .timeout
        outcome.stopped = ending == .stop
        return outcome
    }
}

/// The poll loop of ProcessRunner.runAll: one poll() per round for the
/// pipes of every running child and the stop descriptor.
final class FanOut {
    typealias Outcome = Result<ProcessOutcome, ProcessError>

    let specs: [ProcessSpec]
    let parallel: Int
    let stop: ProcessStop?
    let onLine: ((Int, ProcessStream, [UInt8]) throws -> Void)?
    let onExit: ((Int, Outcome) throws -> Void)?
    var results: [Outcome?]
    var running: [Job] = []
    var next = 0
    /// Set when everything stops: a stop request or a callback error.
    var ending: Ending?
    var stopRequested = false
    var pendingError: Error?
    var buffer = [UInt8](repeating: 0, count: 65536)

    init(specs: [ProcessSpec], parallel: Int, stop: ProcessStop?,
         onLine: ((Int, ProcessStream, [UInt8]) throws -> Void)?, onExit: ((Int, Outcome) throws -> Void)?) {
        self.specs = specs
        self.parallel = max(1, parallel)
        self.stop = stop
        self.onLine = onLine
        self.onExit = onExit
        results = Array(repeating: nil, count: specs.count)
    }

    func run() throws -> [Outcome] {
        // Only when the loop itself failed: never leave a child behind.
        defer { for job in running { job.child.closeAll() } }
        var fds: [pollfd] = []
        var owners: [(job: Int, what: UInt8)] = []  // what: 0 stdout, 1 stderr, 2 stdin, 3 stop
        while true {
            let now = ProcessRunner.now()
            if !stopRequested, let stop, stop.isRequested() { stopRequested = true }
            if ending == nil {
                if pendingError != nil { ending = .callbackError }
                else if stopRequested { ending = .stop }
            }
            advance(now)
            // Free places go to the next specs at once.
            while pendingError == nil, ending == nil, running.count < parallel, next < specs.count {
                let i = next
                next += 1
                do {
                    running.append(try Job(index: i, spec: specs[i]))
                } catch let error as ProcessError {
                    complete(i, .failure(error))
                } catch {
                    complete(i, .failure(ProcessError(argv: specs[i].argv, message: "\(error)", errno: 0)))
                }
            }
            if running.isEmpty { break }

            fds.removeAll(keepingCapacity: true)
            owners.removeAll(keepingCapacity: true)
            var wait = 100.0  // ms
            for (k, job) in running.enumerated() {
                let c = job.child
                if c.outFD >= 0 { fds.append(pollfd(fd: c.outFD, events: Int16(POLLIN), revents: 0)); owners.append((k, 0)) }
                if c.errFD >= 0 { fds.append(pollfd(fd: c.errFD, events: Int16(POLLIN), revents: 0)); owners.append((k, 1)) }
                if c.stdinFD >= 0 { fds.append(pollfd(fd: c.stdinFD, events: Int16(POLLOUT), revents: 0)); owners.append((k, 2)) }
                if let deadline = job.deadline, job.ending == nil { wait = min(wait, (deadline - now) * 1000) }
                if !job.killed, job.killAt.isFinite { wait = min(wait, (job.killAt - now) * 1000) }
                if job.lingering {
                    wait = min(wait, 10)  // its group is looked for in /proc: not too often
                } else if let exitedAt = job.exitedAt {
                    wait = min(wait, (exitedAt + 0.1 - now) * 1000)  // something it started holds its pipes
                } else if let closedAt = job.pipesClosedAt {
                    // Only the exit to wait for: 1 ms, then doubling up to 20 ms.
                    wait = min(wait, min(20, max(1, (now - closedAt) * 1000)))
                }
            }
            if !stopRequested, let stop, stop.fd >= 0 {
                fds.append(pollfd(fd: stop.fd, events: Int16(POLLIN), revents: 0))
                owners.append((-1, 3))
            }
            let n = poll(&fds, nfds_t(fds.count), Int32(max(0, wait).rounded(.up)))
            if n < 0 {
                let e = errno
                if e != EINTR && e != EAGAIN {
                    if pendingError == nil {
                        pendingError = ProcessError(argv: [], message: "poll failed: \(String(cString: strerror(e)))", errno: e)
                    }
                    usleep(10_000)
                }
                continue
            }
            guard n > 0 else { continue }
            for (p, owner) in zip(fds, owners) where p.revents != 0 && owner.what != 3 {
                let job = running[owner.job]
                if owner.what == 2 {
                    if !job.child.writeInput(job.input, &job.written) || job.written == job.input.count {
                        Child.closeFD(&job.child.stdinFD)
                    }
                    continue
                }
                let stream: ProcessStream = owner.what == 0 ? .stdout : .stderr
                let got = read(p.fd, &buffer, buffer.count)
                if got > 0 {
                    let chunk = buffer[0..<got]
                    if stream == .stdout {
                        job.out.append(chunk)
                        if onLine != nil { deliver(job, .stdout, job.outLines.feed(chunk)) }
                    } else {
                        job.err.append(chunk)
                        if onLine != nil { deliver(job, .stderr, job.errLines.feed(chunk)) }
                    }
                } else if got == 0 || (errno != EAGAIN && errno != EINTR) {
                    if stream == .stdout {
                        Child.closeFD(&job.child.outFD)
                        if let last = job.outLines.finish() { deliver(job, .stdout, [last]) }
                    } else {
                        Child.closeFD(&job.child.errFD)
                        if let last = job.errLines.finish() { deliver(job, .stderr, [last]) }
                    }
                }
            }
        }
        if let pendingError { throw pendingError }
        // Specs a stop kept from starting.
        return results.map { result in
            if let result { return result }
            var outcome = ProcessOutcome()
            outcome.stopped = true
            return .success(outcome)
        }
    }

    /// One round for every running child: starts stopping it, kills it
    /// after the grace, reaps it, and finishes those that are done.
    func advance(_ now: Double) {
        var lingering: [Job] = []
        var done: [Job] = []
        for job in running {
            if job.ending == nil {
                if let ending { job.ending = ending }
                else if let deadline = job.deadline, now >= deadline { job.ending = .timeout }
                if let ending = job.ending {
                    kill(-job.child.pid, SIGTERM)
                    let grace = job.spec.killGrace
                    job.killAt = now + (ending == .stop ? min(grace, stop?.grace() ?? grace) : grace)
                }
            } else if stopRequested, job.ending != .stop, !job.killed {
                // Already stopping (timeout, callback error): a stop's shorter grace still applies.
                job.killAt = min(job.killAt, now + min(job.spec.killGrace, stop?.grace() ?? job.spec.killGrace))
            }
            if !job.killed, now >= job.killAt {
                kill(-job.child.pid, SIGKILL)
                job.killed = true
            }
            if !job.child.reaped { job.child.reap() }
            if job.child.reaped, job.exitedAt == nil { job.exitedAt = now }
            let pipesOpen = job.pipesOpen
            if !pipesOpen, job.pipesClosedAt == nil { job.pipesClosedAt = now }
            // Done: reaped and its output read to the end, or, when something
            // it started keeps the pipes open, 100 ms after its exit.
            guard job.child.reaped, !pipesOpen || now - job.exitedAt! > 0.1 else { continue }
            // Stopping: what is left of the group gets until the kill.
            if job.ending != nil, !job.killed, now < job.killAt { lingering.append(job) } else { done.append(job) }
        }
        if !lingering.isEmpty {
            let alive = Child.liveGroups(among: Set(lingering.map { $0.child.pid }))
            for job in lingering {
                if alive.contains(job.child.pid) { job.lingering = true } else { done.append(job) }
            }
        }
        guard !done.isEmpty else { return }
        let finished = Set(done.map { ObjectIdentifier($0) })
        running.removeAll { finished.contains(ObjectIdentifier($0)) }
        for job in done.sorted(by: { $0.index < $1.index }) {
            job.child.closeAll()
            complete(job.index, .success(job.outcome()))
        }
    }

    func complete(_ index: Int, _ result: Outcome) {
        results[index] = result
        guard let onExit, pendingError == nil else { return }
        do { try onExit(index, result) } catch { pendingError = error }
    }

    func deliver(_ job: Job, _ stream: ProcessStream, _ lines: [[UInt8]]) {
        guard let onLine, pendingError == nil else { return }
        for line in lines {
            do { try onLine(job.index, stream, line) } catch {
                pendingError = error
                return
            }
        }
    }
}

/// A running child: its pid (also its process group) and our pipe ends.
struct Child {
    var pid: pid_t
    var stdinFD: Int32 = -1
    var outFD: Int32 = -1
    var errFD: Int32 = -1
    var reaped = false
    var waitStatus: Int32 = 0
    let started: Double

    // MARK: Starting

    static func spawn(_ spec: ProcessSpec) throws -> Child {
        guard let program = spec.argv.first, !program.isEmpty else {
            throw ProcessError(argv: spec.argv, message: "argv is empty: no program to run", errno: EINVAL)
        }
        if let cwd = spec.cwd {
            var st = stat()
            guard stat(cwd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                throw ProcessError(argv: spec.argv, message: "cannot run '\(program)': no directory '\(cwd)'", errno: ENOENT)
            }
            guard Child.addchdir != nil else {
                throw ProcessError(argv: spec.argv, message: "cwd needs glibc 2.29 or later", errno: ENOSYS)
            }
        }
        var opened: [Int32] = []
        func closeOpened() { for fd in opened where fd >= 0 { close(fd) } }
        func pipePair() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            // pipe, then close-on-exec: labsh spawns from one thread only, so
            // no other spawn can inherit these in between (pipe2 is not
            // visible to Swift without _GNU_SOURCE).
            guard pipe(&fds) == 0 else {
                let e = errno
                closeOpened()
                throw ProcessError(argv: spec.argv, message: "cannot make a pipe: \(String(cString: strerror(e)))", errno: e)
            }
            opened += fds
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return (fds[0], fds[1])
        }
        let input: (read: Int32, write: Int32)
        if spec.stdin != nil {
            input = try pipePair()
        } else {
            let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
            opened.append(null)
            input = (null, -1)
        }
        let out = try pipePair()
        let err = try pipePair()
        // The descriptor to hand down, first copied above 2 (it may be 0-2
        // when labsh started without them), so the dup2s below cannot clobber it.
        var inherited: Int32 = -1
        if let fd = spec.inheritedFD {
            inherited = fcntl(fd, F_DUPFD_CLOEXEC, 10)
            guard inherited >= 0 else {
                let e = errno
                closeOpened()
                throw ProcessError(argv: spec.argv, message: "cannot pass descriptor \(fd): \(String(cString: strerror(e)))", errno: e)
            }
        }
        defer { if inherited >= 0 { close(inherited) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Everything of labsh's is close-on-exec; these three become 0, 1, 2.
        posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        posix_spawn_file_actions_adddup2(&actions, out.write, 1)
        posix_spawn_file_actions_adddup2(&actions, err.write, 2)
        if inherited >= 0 { posix_spawn_file_actions_adddup2(&actions, inherited, 3) }
        // Descriptors labsh inherited without close-on-exec stay out too.
        if let closefrom = Child.addclosefrom { _ = closefrom(&actions, inherited >= 0 ? 4 : 3) }
        if let cwd = spec.cwd, let addchdir = Child.addchdir { _ = addchdir(&actions, cwd) }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Its own process group (so Ctrl-C at the terminal reaches labsh,
        // which stops the group), no blocked signals, default handlers for
        // the signals labsh catches or ignores.
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attr, 0)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attr, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGTERM, SIGALRM, SIGPIPE, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2] {
            sigaddset(&defaults, sig)
        }
        posix_spawnattr_setsigdefault(&attr, &defaults)

        let env = mergedEnvironment(currentEnvironment(), spec.environment)
        var pid: pid_t = 0
        let rc = withCStrings(spec.argv) { argv in
            withCStrings(env) { envp in
                program.contains("/")
                    ? posix_spawn(&pid, program, &actions, &attr, argv, envp)
                    : posix_spawnp(&pid, program, &actions, &attr, argv, envp)
            }
        }
        // The child's ends are the child's now.
        for fd in [input.read, out.write, err.write] { close(fd) }
        guard rc == 0 else {
            for fd in [input.write, out.read, err.read] where fd >= 0 { close(fd) }
            let why = rc == ENOENT ? (program.contains("/") ? "no such file" : "not found on PATH")
                : rc == EACCES ? "permission denied (not executable?)" : String(cString: strerror(rc))
            throw ProcessError(argv: spec.argv, message: "cannot run '\(program)': \(why)", errno: rc)
        }
        for fd in [input.write, out.read, err.read] where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        var child = Child(pid: pid, started: ProcessRunner.now())
        child.stdinFD = input.write
        child.outFD = out.read
        child.errFD = err.read
        return child
    }

    /// glibc's posix_spawn_file_actions_addchdir_np (a GNU extension Swift
    /// does not see), looked up once.
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    static let addchdir: AddChdir? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: AddChdir.self)
    }()

    /// posix_spawn_file_actions_addclosefrom_np (glibc 2.34), if there.
    typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    static let addclosefrom: AddClosefrom? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddClosefrom.self)
    }()

    static func currentEnvironment() -> [String] {
        var entries: [String] = []
        var p = environ
        while let entry = p.pointee {
            entries.append(String(cString: entry))
            p += 1
        }
        return entries
    }

    mutating func closeAll() {
        for fd in [stdinFD, outFD, errFD] where fd >= 0 { close(fd) }
        stdinFD = -1; outFD = -1; errFD = -1
        if !reaped {  // only when the loop itself failed: never leave a zombie
            kill(-pid, SIGKILL)
            while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
            reaped = true
        }
    }

    // MARK: Waiting

    mutating func reap() {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid {
            waitStatus = status
            reaped = true
        } else if r < 0 && errno == ECHILD {  // reaped by someone else: nothing to wait for
            reaped = true
        }
    }

    /// Which of the groups `pgids` still have a running process: one pass
    /// over /proc for all of them. Not kill(-pgid, 0): members that died
    /// wait as zombies until init reaps them, which in a container may take
    /// a while.
    static func liveGroups(among pgids: Set<pid_t>) -> Set<pid_t> {
        guard let dir = opendir("/proc") else { return pgids.filter { kill(-$0, 0) == 0 } }
        defer { closedir(dir) }
        var alive: Set<pid_t> = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while alive.count < pgids.count, let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            guard name.first?.isNumber == true else { continue }
            let fd = open("/proc/\(name)/stat", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            let n = read(fd, &buffer, buffer.count)
            close(fd)
            guard n > 0 else { continue }
            // "pid (comm) S ppid pgrp ...": comm may hold spaces and parens.
            guard let paren = buffer[0..<n].lastIndex(of: UInt8(ascii: ")")) else { continue }
            let fields = buffer[(paren + 1)..<n].split(separator: UInt8(ascii: " "))
            guard fields.count > 3, let state = fields[0].first else { continue }
            if let pgid = Int32(String(decoding: fields[2], as: UTF8.self)), pgids.contains(pgid),
               state != UInt8(ascii: "Z"), state != UInt8(ascii: "X") { alive.insert(pgid) }
        }
        return alive
    }

    /// Writes the next piece of stdin with SIGPIPE blocked: a program that
    /// closes its input early gives EPIPE, never kills labsh. False: stop writing.
    func writeInput(_ input: [UInt8], _ written: inout Int) -> Bool {
        var block = sigset_t(), old = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &block, &old)
        defer {
            // Consume a SIGPIPE raised here before unblocking it.
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 && sigismember(&old, SIGPIPE) == 0 {
                var zero = timespec()
                _ = sigtimedwait(&block, nil, &zero)
            }
            pthread_sigmask(SIG_SETMASK, &old, nil)
        }
        let chunk = min(65536, input.count - written)
        let n = input.withUnsafeBytes { write(stdinFD, $0.baseAddress! + written, chunk) }
        if n > 0 { written += n; return true }
        return n < 0 && (errno == EAGAIN || errno == EINTR)
    }

    static func closeFD(_ fd: inout Int32) {
        if fd >= 0 { close(fd) }
        fd = -1
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for p in pointers { free(p) } }
    return body(pointers)
}
