import CLua
import Glibc
import LuaHost

/// `labsh.host`: what the binary carries (for help(), completion, tests and
/// `-m inventory init`), and making directories.
enum HostModule {
    static func push(_ state: LuaState) throws {
        let L = state.L
        lua_createtable(L, 0, 2)
        state.setFunction("embedded_paths") { call in call.push(EmbeddedFiles.paths) }
        state.setFunction("embedded") { call in
            guard let text = EmbeddedFiles.text(try call.string(1)) else { return call.push(LuaValue.nil) }
            return call.push(text.description)
        }
        state.setFunction("make_directories") { call in
            let path = try call.string(1)
            guard makeDirectories(path) else {
                throw LuaRaise.message("cannot create directory '\(path)': \(String(cString: strerror(errno)))")
            }
            return 0
        }
        // append_private(path, text): one write with O_APPEND to a file made
        // 0600 if new (the audit log): lines from parallel jobs never mix
        state.setFunction("append_private") { call in
            try writePrivate(try call.string(1), try call.bytes(2), flags: O_APPEND)
            return 0
        }
        // private_directory(path): made 0700 if missing; an existing one must
        // be ours and closed to others (ssh's control sockets live there)
        state.setFunction("private_directory") { call in
            let path = try call.string(1)
            guard makeDirectories(path) else {
                throw LuaRaise.message("cannot create directory '\(path)': \(String(cString: strerror(errno)))")
            }
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == geteuid(),
                  st.st_mode & 0o077 == 0 else {
                throw LuaRaise.message("'\(path)' must be a directory of yours that only you can use (mode 0700)")
            }
            return 0
        }
        // write_private(path, text): the whole file anew, mode 0600 (a key)
        state.setFunction("write_private") { call in
            try writePrivate(try call.string(1), try call.bytes(2), flags: O_TRUNC | O_NOFOLLOW, resetMode: true)
            return 0
        }
        // temp_directory(prefix): a new private directory (mkdtemp) under $TMPDIR or /tmp
        state.setFunction("temp_directory") { call in
            let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            var template = Array((base + "/" + (try call.optString(1) ?? "labsh") + ".XXXXXX").utf8CString)
            guard mkdtemp(&template) != nil else {
                throw LuaRaise.message("cannot create a directory in \(base): \(String(cString: strerror(errno)))")
            }
            return call.push(String(cString: template))
        }
        // remove_tree(path): rm -rf, also through directories restored read-only;
        // no process, so it works while a stop is pending (in __close handlers)
        state.setFunction("remove_tree") { call in call.push(removeTree(try call.string(1))) }
        // user(): the effective user's login name (cron may not set USER)
        state.setFunction("user") { call in
            guard let pw = getpwuid(geteuid()) else { return call.push(String(geteuid())) }
            return call.push(String(cString: pw.pointee.pw_name))
        }
        // fail(kind, message [, fields]): raise an error object, as Swift
        // bindings do, from Lua code (it prints as its message, no traceback)
        state.setFunction("fail") { call in
            var fields: [String: LuaValue] = [:]
            if !call.isNoneOrNil(3) {
                for (k, v) in try call.table(3).fields { if let key = k.stringValue { fields[key] = v } }
            }
            throw LuaRaise.object(kind: try call.string(1), message: try call.string(2), fields: fields)
        }
    }
}

/// Writes `bytes` in one write to a file made 0600 if new (`resetMode`:
/// made 0600 also if it was not); `flags` add to O_WRONLY | O_CREAT.
func writePrivate(_ path: String, _ bytes: [UInt8], flags: Int32, resetMode: Bool = false) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0o600)
    guard fd >= 0 else { throw LuaRaise.message("cannot open '\(path)': \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    if resetMode { fchmod(fd, 0o600) }
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard n == bytes.count else { throw LuaRaise.message("cannot write '\(path)': \(String(cString: strerror(errno)))") }
}

/// rm -rf: false if anything stayed. Directories are made writable first.
func removeTree(_ path: String) -> Bool {
    var st = stat()
    guard lstat(path, &st) == 0 else { return errno == ENOENT }
    guard (st.st_mode & S_IFMT) == S_IFDIR else { return unlink(path) == 0 }
    chmod(path, 0o700)
    var ok = true
    if let dir = opendir(path) {
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            ok = removeTree(path + "/" + name) && ok
        }
        closedir(dir)
    }
    return rmdir(path) == 0 && ok
}

/// mkdir -p, private to the user (history, state, config).
public func makeDirectories(_ path: String) -> Bool {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + part
        if mkdir(current, 0o700) != 0 && errno != EEXIST { return false }
    }
    return true
}
