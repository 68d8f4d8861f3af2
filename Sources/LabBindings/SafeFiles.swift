import Glibc

/// How labsh puts files on disk (DESIGN.md, "Trust boundaries"). labsh runs
/// as root from cron in directories others may reach, so no write ever goes
/// through a name someone else could have planted:
///
/// - `replace` writes a whole file: a new file under an unpredictable name
///   (`O_CREAT|O_EXCL|O_NOFOLLOW`, its mode set at creation), written,
///   fsynced, renamed over the target, the directory fsynced. Readers see
///   the old file or the new one, never half of one. A symbolic link at the
///   target is replaced by the new file; what it pointed to is not touched.
/// - `openStateFile` opens a file of the state directory (audit log,
///   history, job database, locks): `O_NOFOLLOW`, made 0600 if new, and the
///   opened file's owner and mode are checked on its descriptor (no window
///   between the check and the use).
/// - `checkStateDirectory` makes the state directory 0700 and refuses one
///   that others could write to or that is not the user's.
public enum SafeFiles {
    /// Why a file could not be written or was refused; the text names the
    /// file and, where there is one, the fix.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// How private a state file must be.
    public enum Privacy {
        /// Nobody else may read or write it (audit log, history): mode 0600.
        case secret
        /// Nobody else may write it (job database, locks).
        case unwritable
    }

    // ---- Whole files ----------------------------------------------------------

    /// Replaces `path` with `bytes`, all or nothing. `mode` nil means 0644
    /// less the umask; a given mode is set exactly. On any failure the
    /// temporary file is removed and the old file, if any, is unchanged.
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t? = nil) throws {
        let (dir, name) = split(path)
        let dirFD = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else {
            let e = errno
            if e == ENOENT { throw Failure("the directory \(dir) does not exist") }
            if e == ENOTDIR { throw Failure("\(dir) is not a directory") }
            throw Failure("cannot open the directory \(dir): \(describe(e))")
        }
        defer { close(dirFD) }
        let (fd, temp) = try createTemporary(in: dirFD, dir: dir, for: name, mode: mode ?? 0o644)
        var written = false
        defer { if !written { unlinkat(dirFD, temp, 0) } }
        do {
            defer { close(fd) }
            if let mode, fchmod(fd, mode) != 0 {
                throw Failure("cannot set the mode of \(dir)/\(temp): \(describe(errno))")
            }
            try writeAll(fd, bytes, name: "\(dir)/\(temp)")
            guard fsync(fd) == 0 else { throw Failure("cannot sync \(dir)/\(temp): \(describe(errno))") }
        }
        guard renameat(dirFD, temp, dirFD, name) == 0 else {
            let e = errno
            if e == EISDIR { throw Failure("\(path) is a directory") }
            throw Failure("cannot rename \(dir)/\(temp) to \(path): \(describe(e))")
        }
        written = true
        // The rename is durable once the directory is; EINVAL: a file
        // system that cannot sync directories (the rename is done anyway).
        if fsync(dirFD) != 0 && errno != EINVAL {
            throw Failure("wrote \(path) but cannot sync \(dir): \(describe(errno))")
        }
    }

    /// ("dir", "name") of a path; "." for a bare name.
    static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
    }

    /// A new file `.NAME.RANDOM.tmp` in the directory: O_EXCL never opens
    /// what is already there (a planted file or symbolic link), and the
    /// random part cannot be guessed ahead.
    static func createTemporary(in dirFD: Int32, dir: String, for name: String,
                                mode: mode_t) throws -> (Int32, String) {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        let stem = String(decoding: name.utf8.prefix(200), as: UTF8.self)  // room for the rest in NAME_MAX
        var generator = SystemRandomNumberGenerator()  // getrandom(2)
        for _ in 0..<100 {
            let random = (0..<12).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let temp = ".\(stem).\(String(decoding: random, as: UTF8.self)).tmp"
            let fd = openat(dirFD, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 { return (fd, temp) }
            if errno != EEXIST { throw Failure("cannot create a file in \(dir): \(describe(errno))") }
        }
        throw Failure("cannot create a file in \(dir): 100 random names were all taken")
    }

    /// write(2) until everything is out (a signal may cut a write short).
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], name: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure("cannot write \(name): \(describe(errno))")
                }
                offset += n
            }
        }
    }

    // ---- State files ----------------------------------------------------------

    /// Opens `path` with `flags` (O_WRONLY|O_APPEND, O_RDWR...) plus
    /// O_NOFOLLOW; made 0600 when `create` and missing. Refuses a symbolic
    /// link, anything but a regular file, a file of another user and one
    /// looser than `privacy` allows. Returns the descriptor (O_CLOEXEC).
    public static func openStateFile(_ path: String, flags: Int32, privacy: Privacy,
                                     create: Bool = true) throws -> Int32 {
        // O_NONBLOCK: a planted FIFO must not hang the open; dropped below.
        let fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (create ? O_CREAT : 0), 0o600)
        guard fd >= 0 else {
            let e = errno
            if e == ELOOP {
                throw Failure("refusing \(path): it is a symbolic link; remove it (labsh creates the file itself, mode 0600)")
            }
            throw Failure("cannot open \(path): \(describe(e))")
        }
        do {
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw Failure("cannot stat \(path): \(describe(errno))") }
            try checkStateFile(path, st, privacy: privacy)
        } catch {
            close(fd)
            throw error
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// Everything left to read from `fd`; refuses more than `limit` bytes.
    public static func readAll(_ fd: Int32, name: String, limit: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        // not zeroed: filling 64 KB cost more than reading a small file
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            let n = read(fd, chunk.baseAddress, chunk.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Failure("cannot read \(name): \(describe(errno))") }
            if n == 0 { return bytes }
            bytes += UnsafeRawBufferPointer(rebasing: chunk[0..<n])
            guard bytes.count <= limit else { throw Failure("refusing \(name): larger than \(limit) bytes") }
        }
    }

    /// The rules of `openStateFile` on a file's status.
    static func checkStateFile(_ path: String, _ st: stat, privacy: Privacy) throws {
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw Failure("refusing \(path): it is not a regular file; remove it (labsh creates the file itself)")
        }
        guard st.st_uid == geteuid() else {
            throw Failure("refusing \(path): it belongs to \(userName(st.st_uid)), not to \(userName(geteuid())); "
                + "fix: chown \(loginName(geteuid())) \(path) && chmod 600 \(path)")
        }
        let loose: mode_t = privacy == .secret ? 0o077 : 0o022
        guard st.st_mode & loose == 0 else {
            let who = privacy == .secret ? "others may read or write it" : "others may write to it"
            throw Failure("refusing \(path): \(who) (mode \(octal(st.st_mode & 0o7777))); fix: chmod 600 \(path)")
        }
    }

    /// Makes `path` (mode 0700 where missing) and refuses it when it is not
    /// a directory, not the user's or writable by others.
    public static func checkStateDirectory(_ path: String) throws {
        guard makeDirectories(path) else { throw Failure("cannot create the state directory \(path): \(describe(errno))") }
        var st = stat()
        guard stat(path, &st) == 0 else { throw Failure("cannot stat the state directory \(path): \(describe(errno))") }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw Failure("the state directory \(path) is not a directory") }
        guard st.st_uid == geteuid() else {
            throw Failure("refusing the state directory \(path): it belongs to \(userName(st.st_uid)), not to "
                + "\(userName(geteuid())); fix: chown \(loginName(geteuid())) \(path) && chmod 700 \(path), "
                + "or set LABSH_STATE_DIR to a directory of yours")
        }
        guard st.st_mode & 0o022 == 0 else {
            throw Failure("refusing the state directory \(path): others may write to it "
                + "(mode \(octal(st.st_mode & 0o7777))); fix: chmod 700 \(path)")
        }
    }

    // ---- Words for messages -----------------------------------------------------

    static func describe(_ e: Int32) -> String { String(cString: strerror(e)) }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The login name, else the uid (for a chown command line).
    static func loginName(_ uid: uid_t) -> String {
        guard let pw = getpwuid(uid) else { return String(uid) }
        return String(cString: pw.pointee.pw_name)
    }

    /// "root", "nobody (uid 65534)"; the uid alone when it has no name.
    static func userName(_ uid: uid_t) -> String {
        guard let pw = getpwuid(uid) else { return "uid \(uid)" }
        let name = String(cString: pw.pointee.pw_name)
        return uid == 0 ? name : "\(name) (uid \(uid))"
    }
}
