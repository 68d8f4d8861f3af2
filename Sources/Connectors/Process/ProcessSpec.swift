/// A program to run, as `lab.process.run` describes it: never through a
/// shell, so arguments are never re-parsed.
public struct ProcessSpec {
    /// The program and its arguments; a program without a slash is searched
    /// on labsh's PATH.
    public var argv: [String]
    /// Changes to labsh's environment: a value sets, nil removes.
    public var environment: [(name: String, value: String?)] = []
    /// Bytes written to the program's standard input (nil: /dev/null).
    public var stdin: [UInt8]? = nil
    public var cwd: String? = nil
    /// Seconds of wall time before the program's group is stopped.
    public var timeout: Double? = nil
    /// Bytes kept of each output stream: beyond it, the tail.
    public var maxOutput: Int = 16 << 20
    /// Seconds between SIGTERM and SIGKILL.
    public var killGrace: Double = 2
    /// A descriptor of labsh's that the program gets as its fd 3 (every
    /// other one stays closed): a lock it holds for as long as it runs.
    public var inheritedFD: Int32? = nil

    public init(argv: [String]) { self.argv = argv }
}

/// One of the two output streams.
public enum ProcessStream: Sendable {
    case stdout, stderr
    public var name: String { self == .stdout ? "stdout" : "stderr" }
}

/// How a program ended and what it wrote.
public struct ProcessOutcome {
    /// Exit status, or nil when a signal ended it.
    public var status: Int32?
    public var signal: Int32?
    public var stdout: [UInt8] = []
    public var stderr: [UInt8] = []
    /// Bytes dropped from the front of each stream (beyond maxOutput).
    public var stdoutDropped = 0
    public var stderrDropped = 0
    public var elapsed: Double = 0
    /// Ended by its own timeout.
    public var timedOut = false
    /// Ended because labsh was asked to stop (Ctrl-C, --timeout).
    public var stopped = false
}

/// The program could not be started.
public struct ProcessError: Error, CustomStringConvertible {
    public var argv: [String]
    public var message: String
    public var errno: Int32
    public var description: String { message }
}

/// How a caller lets a run be stopped from outside (Ctrl-C, --timeout):
/// a file descriptor that becomes readable, the check itself, and the
/// grace between SIGTERM and SIGKILL for such a stop (a watchdog may allow
/// less than the usual 2 s).
public struct ProcessStop {
    public var fd: Int32
    public var isRequested: () -> Bool
    public var grace: () -> Double
    public init(fd: Int32, isRequested: @escaping () -> Bool, grace: @escaping () -> Double) {
        self.fd = fd
        self.isRequested = isRequested
        self.grace = grace
    }
}
