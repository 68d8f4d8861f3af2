import CLua
import Glibc
import LuaHost

/// `labsh.filesystem`: files and directories the way labsh keeps them
/// (DESIGN.md "Trust boundaries"): private state made 0600/0700 and refused
/// when others could change it, whole files replaced atomically, locks that
/// are never stale, listing and removing trees. SafeFiles does the checks.
enum FileSystemModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 13)
        state.setFunction("make_directories") { call in
            try checkWrite(call, call.string(1))
            try makeDirectories(raising: call.string(1))
            return 0
        }
        // append_private(path, text): one write with O_APPEND (lines from
        // parallel jobs never mix) to a file made 0600 if new (the audit
        // log); a symbolic link, a file of another user or one others may
        // read or write is refused (checked on the opened file)
        state.setFunction("append_private") { call in
            let path = try call.string(1), bytes = try call.bytes(2)
            try checkWrite(call, path)
            let fd = try refusing { try SafeFiles.openStateFile(path, flags: O_WRONLY | O_APPEND, privacy: .secret) }
            defer { close(fd) }
            try refusing { try SafeFiles.writeAll(fd, bytes, name: path) }
            return 0
        }
        // state_directory(path): made 0700 where missing; refused unless it
        // is the user's and closed to others' writes
        state.setFunction("state_directory") { call in
            let path = try call.string(1)
            try checkWrite(call, path)
            try refusing { try SafeFiles.checkStateDirectory(path) }
            return 0
        }
        // state_file(path [, {secret =, create =}]): checks a state file that
        // another library opens by name (SQLite): made 0600 if missing (unless
        // create = false), refused if it is a symbolic link, another user's,
        // or writable (secret: readable or writable) by others
        state.setFunction("state_file") { call in
            let path = try call.string(1)
            let opts = try LuaOptions(call, 2, stateFileOptions)
            let secret = opts.boolean("secret")!, create = opts.boolean("create")!
            try checkWrite(call, path)
            var st = stat()
            if !create && lstat(path, &st) != 0 && errno == ENOENT { return 0 }
            let fd = try refusing {
                try SafeFiles.openStateFile(path, flags: O_RDONLY, privacy: secret ? .secret : .unwritable, create: create)
            }
            close(fd)
            return 0
        }
        // private_directory(path): made 0700 if missing; an existing one must
        // be ours and closed to others (ssh's control sockets live there)
        state.setFunction("private_directory") { call in
            let path = try call.string(1)
            try checkWrite(call, path, makingOwn: true)
            try makeDirectories(raising: path)
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == geteuid(),
                  st.st_mode & 0o077 == 0 else {
                throw LuaRaise.message("'\(path)' must be a directory of yours that only you can use (mode 0700)")
            }
            return 0
        }
        // write_private(path, text): a new file, mode 0600 (a key), put in
        // place as write_file does
        state.setFunction("write_private") { call in
            let path = try call.string(1), bytes = try call.bytes(2)
            try checkWrite(call, path)
            try refusing { try SafeFiles.replace(path, with: bytes, mode: 0o600) }
            return 0
        }
        // write_file(path, text [, mode]): true, or nil and why. A new file
        // under an unpredictable name, fsynced, renamed over path, the
        // directory fsynced: the old or the new file, never half; a symbolic
        // link at path is replaced, not followed. Mode: 0644 less the umask,
        // or exactly `mode`.
        state.setFunction("write_file") { call in
            let path = try call.string(1), bytes = try call.bytes(2)
            let mode = try call.optInteger(3)
            try checkWrite(call, path)
            if let mode, !(0...0o7777).contains(mode) { throw LuaRaise.argument(3, "mode out of range") }
            do {
                try SafeFiles.replace(path, with: bytes, mode: mode.map { mode_t($0) })
            } catch {
                return call.push(LuaValue.nil, "\(error)")
            }
            return call.push(true)
        }
        // check_search_file(dir, relative): raises (kind "path") when
        // dir/relative is a file others could change, by the rule of require
        // and -m (ScriptPath.refusal): for files found on the script path in
        // Lua (jobs/*.lua); LABSH_ALLOW_UNSAFE_PATH=1 allows them
        state.setFunction("check_search_file") { call in
            let dir = try call.string(1), relative = try call.string(2)
            guard !ScriptPath.unsafeAllowed, let why = ScriptPath.refusal(of: relative, in: dir) else { return 0 }
            throw LuaRaise.object(kind: "path", message: why)
        }
        // temp_directory(prefix): a new private directory (mkdtemp) under $TMPDIR or /tmp
        state.setFunction("temp_directory") { call in
            let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            var template = Array((base + "/" + (try call.optString(1) ?? "labsh") + ".XXXXXX").utf8CString)
            let byLabsh = Capabilities.calledByLabsh(call.L)  // labsh's own temporary files
            if !byLabsh { try checkWrite(call, String(cString: template)) }
            guard mkdtemp(&template) != nil else {
                throw LuaRaise.message("cannot create a directory in \(base): \(String(cString: strerror(errno)))")
            }
            if byLabsh { Capabilities.active?.addOwn(String(cString: template)) }
            return call.push(String(cString: template))
        }
        // remove_tree(path): rm -rf, also through directories restored read-only;
        // no process, so it works while a stop is pending (in __close handlers)
        state.setFunction("remove_tree") { call in
            try checkWrite(call, call.string(1))
            return call.push(removeTree(try call.string(1)))
        }
        // lock(path [, wait]): an exclusive flock(2) on path (created 0600),
        // held by the returned fd until unlock(fd) or the process ends; the
        // kernel drops it when a killed process's fd closes, so a lock is
        // never stale. Without wait, nil if another process holds it. The
        // holder's pid is written into the file (for overlap = "kill").
        state.setFunction("lock") { call in
            let path = try call.string(1)
            let wait = call.type(2) == LUA_TBOOLEAN && lua_toboolean(call.L, 2) != 0
            try checkWrite(call, path)
            // O_NOFOLLOW, 0600, ours and not writable by others (SafeFiles)
            let fd = try refusing { try SafeFiles.openStateFile(path, flags: O_RDWR, privacy: .unwritable) }
            var rc: Int32
            repeat { rc = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) } while rc != 0 && errno == EINTR && wait
            guard rc == 0 else {
                let e = errno
                close(fd)
                if e == EWOULDBLOCK { return call.push(LuaValue.nil) }
                throw LuaRaise.message("cannot lock '\(path)': \(String(cString: strerror(e)))")
            }
            let text = Array("\(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            return call.push(Int64(fd))
        }
        state.setFunction("unlock") { call in
            close(Int32(truncatingIfNeeded: try call.integer(1)))
            return 0
        }
        // list(dir): the names in a directory, sorted ("." and ".." left
        // out); nil if it cannot be read (missing is the usual case)
        state.setFunction("list") { call in
            guard let names = directoryNames(try call.string(1)) else { return call.push(LuaValue.nil) }
            return call.push(names.sorted())
        }
    }

    /// mkdir -p, private to the user, or the Lua error that says why not.
    /// Under a manifest, a write to `path`: labsh's own directories take
    /// writes from labsh's own code only; anywhere else needs
    /// requires.files.write, whoever asks. A private directory labsh's code
    /// makes (`makingOwn`: ssh's control sockets) becomes one of its own.
    static func checkWrite(_ call: LuaCall, _ path: String, makingOwn: Bool = false) throws {
        guard let capabilities = Capabilities.active else { return }
        let byLabsh = Capabilities.calledByLabsh(call.L)
        if makingOwn && byLabsh { return capabilities.addOwn(path) }
        if let denial = capabilities.writeDenial(call.L, path, byLabsh: byLabsh) { throw Capabilities.error(denial) }
    }

    static func makeDirectories(raising path: String) throws {
        guard LabBindings.makeDirectories(path) else {
            throw LuaRaise.message("cannot create directory '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    static let stateFileOptions = LuaOptions.Declaration([.boolean("secret", default: false), .boolean("create", default: true)])
}

/// Runs `body`, raising its SafeFiles.Failure as an error object of kind
/// "file" (it prints as its message: the file and the fix, no traceback).
func refusing<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let failure as SafeFiles.Failure {
        throw LuaRaise.object(kind: "file", message: failure.description)
    }
}

/// rm -rf: false if anything stayed. Directories are made writable first.
func removeTree(_ path: String) -> Bool {
    var st = stat()
    guard lstat(path, &st) == 0 else { return errno == ENOENT }
    guard (st.st_mode & S_IFMT) == S_IFDIR else { return unlink(path) == 0 }
    chmod(path, 0o700)
    var ok = true
    for name in directoryNames(path) ?? [] { ok = removeTree(path + "/" + name) && ok }
    return rmdir(path) == 0 && ok
}

/// The names in a directory ("." and ".." left out), nil if it cannot be read.
public func directoryNames(_ path: String) -> [String]? {
    guard let dir = opendir(path) else { return nil }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// mkdir -p, private to the user (history, state, config).
public func makeDirectories(_ path: String) -> Bool {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + String(part)  // a String: a Substring takes the unspecialized append (0.1M instructions)
        if mkdir(current, 0o700) != 0 && errno != EEXIST { return false }
    }
    return true
}
