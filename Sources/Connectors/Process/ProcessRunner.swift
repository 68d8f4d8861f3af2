#if canImport(Glibc)
import Glibc
#endif

/// Runs a program with posix_spawn in its own process group and collects
/// its output in a poll loop that also watches for a stop. On a timeout, a
/// stop or an error in the line callback, the whole group gets SIGTERM and,
/// `killGrace` seconds later, SIGKILL; the child is always reaped.
public enum ProcessRunner {
    /// Runs `spec`. `onLine` gets each output line on the caller's thread
    /// between polls; what it throws is rethrown once the child is gone.
    public static func run(_ spec: ProcessSpec, stop: ProcessStop? = nil,
                           onLine: ((ProcessStream, [UInt8]) throws -> Void)? = nil) throws -> ProcessOutcome {
        guard let program = spec.argv.first, !program.isEmpty else {
            throw ProcessError(argv: spec.argv, message: "argv is empty: no program to run", errno: EINVAL)
        }
        if let cwd = spec.cwd {
            var st = stat()
            guard stat(cwd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                throw ProcessError(argv: spec.argv, message: "cannot run '\(program)': no directory '\(cwd)'", errno: ENOENT)
            }
        }
        var child = try Child.spawn(spec)
        defer { child.closeAll() }
        return try child.collect(spec, stop: stop, onLine: onLine)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
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

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Everything of labsh's is close-on-exec; these three become 0, 1, 2.
        posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        posix_spawn_file_actions_adddup2(&actions, out.write, 1)
        posix_spawn_file_actions_adddup2(&actions, err.write, 2)
        // Descriptors labsh inherited without close-on-exec stay out too.
        if let closefrom = Child.addclosefrom { _ = closefrom(&actions, 3) }
        // Descriptors labsh inherited without close-on-exec stay out too.
        if let closefrom = Child.addclosefrom { _ = closefrom(&actions, 3) }
        if let cwd = spec.cwd {
            guard let addchdir = Child.addchdir else {
                throw ProcessError(argv: spec.argv, message: "cwd needs glibc 2.29 or later", errno: ENOSYS)
            }
            _ = addchdir(&actions, cwd)
        }

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
        let program = spec.argv[0]
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
        if !reaped {  // only when collect itself failed: never leave a zombie
            kill(-pid, SIGKILL)
            while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
            reaped = true
        }
    }

    // MARK: Collecting

    /// Why the group is being stopped.
    enum Ending { case timeout, stop, callbackError }

    mutating func collect(_ spec: ProcessSpec, stop: ProcessStop?,
                          onLine: ((ProcessStream, [UInt8]) throws -> Void)?) throws -> ProcessOutcome {
        var out = TailBuffer(limit: spec.maxOutput)
        var err = TailBuffer(limit: spec.maxOutput)
        var outLines = LineSplitter()
        var errLines = LineSplitter()
        let input = spec.stdin ?? []
        var written = 0
        if input.isEmpty { Child.closeFD(&stdinFD) }
        let deadline = spec.timeout.map { started + $0 }
        var ending: Ending?
        var killAt = Double.infinity
        var killed = false
        var exitedAt: Double?
        var pendingError: Error?
        var buffer = [UInt8](repeating: 0, count: 65536)
        var idleWait = 1  // ms, while only waiting for the exit

        func deliver(_ stream: ProcessStream, _ lines: [[UInt8]]) {
            guard let onLine, pendingError == nil else { return }
            for line in lines {
                do { try onLine(stream, line) } catch {
                    pendingError = error
                    return
                }
            }
        }

        while true {
            let now = ProcessRunner.now()
            // Start stopping the group: timeout, stop request, callback error.
            if ending == nil {
                if pendingError != nil { ending = .callbackError }
                else if let deadline, now >= deadline { ending = .timeout }
                else if let stop, stop.isRequested() { ending = .stop }
                if let ending {
                    kill(-pid, SIGTERM)
                    let grace = ending == .stop ? min(spec.killGrace, stop?.grace() ?? spec.killGrace) : spec.killGrace
                    killAt = now + grace
                }
            }
            if !killed, now >= killAt {
                kill(-pid, SIGKILL)
                killed = true
            }
            if !reaped { reap() }
            if reaped, exitedAt == nil { exitedAt = now }

            // Done: the child reaped and its output read to the end, or, when
            // something it started keeps the pipes open, 100 ms after its exit.
            let pipesOpen = outFD >= 0 || errFD >= 0
            if reaped && (!pipesOpen || now - exitedAt! > 0.1) {
                // Stopping: what is left of the group gets until the kill.
                if ending != nil, !killed, Child.groupIsAlive(pid) {
                    if now < killAt { usleep(10_000); continue }
                }
                break
            }

            var fds: [pollfd] = []
            if outFD >= 0 { fds.append(pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)) }
            if errFD >= 0 { fds.append(pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)) }
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            if ending == nil, let stop, stop.fd >= 0 { fds.append(pollfd(fd: stop.fd, events: Int16(POLLIN), revents: 0)) }
            var wait = 100.0
            if let deadline, ending == nil { wait = min(wait, max(0, (deadline - now) * 1000)) }
            if !killed, killAt.isFinite { wait = min(wait, max(0, (killAt - now) * 1000)) }
            if !pipesOpen || reaped {  // only the exit to wait for: poll it often
                wait = min(wait, Double(idleWait))
                idleWait = min(idleWait * 2, 20)
            }
            let n = poll(&fds, nfds_t(fds.count), Int32(wait.rounded(.up)))
            if n < 0 && errno != EINTR { break }
            guard n > 0 else { continue }
            for p in fds where p.revents != 0 {
                if p.fd == outFD || p.fd == errFD {
                    let stream: ProcessStream = p.fd == outFD ? .stdout : .stderr
                    let got = read(p.fd, &buffer, buffer.count)
                    if got > 0 {
                        let chunk = buffer[0..<got]
                        if stream == .stdout {
                            out.append(chunk)
                            if onLine != nil { deliver(.stdout, outLines.feed(chunk)) }
                        } else {
                            err.append(chunk)
                            if onLine != nil { deliver(.stderr, errLines.feed(chunk)) }
                        }
                    } else if got == 0 || (errno != EAGAIN && errno != EINTR) {
                        if stream == .stdout {
                            Child.closeFD(&outFD)
                            if let last = outLines.finish() { deliver(.stdout, [last]) }
                        } else {
                            Child.closeFD(&errFD)
                            if let last = errLines.finish() { deliver(.stderr, [last]) }
                        }
                    }
                } else if p.fd == stdinFD {
                    if !writeInput(input, &written) || written == input.count { Child.closeFD(&stdinFD) }
                }
            }
        }
        Child.closeFD(&stdinFD); Child.closeFD(&outFD); Child.closeFD(&errFD)
        if let pendingError { throw pendingError }

        var outcome = ProcessOutcome()
        if (waitStatus & 0x7f) == 0 { outcome.status = (waitStatus >> 8) & 0xff } else { outcome.signal = waitStatus & 0x7f }
        outcome.stdout = out.finish()
        outcome.stderr = err.finish()
        outcome.stdoutDropped = out.dropped
        outcome.stderrDropped = err.dropped
        outcome.elapsed = ProcessRunner.now() - started
        outcome.timedOut = ending == .timeout
        outcome.stopped = ending == .stop
        return outcome
    }

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

    /// Whether a process of group `pgid` is still running. Not kill(-pgid, 0):
    /// members that died wait as zombies until init reaps them, which in a
    /// container may take a while.
    static func groupIsAlive(_ pgid: pid_t) -> Bool {
        guard let dir = opendir("/proc") else { return kill(-pgid, 0) == 0 }
        defer { closedir(dir) }
        var buffer = [UInt8](repeating: 0, count: 512)
        while let entry = readdir(dir) {
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
            if Int32(String(decoding: fields[2], as: UTF8.self)) == pgid,
               state != UInt8(ascii: "Z"), state != UInt8(ascii: "X") { return true }
        }
        return false
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
