import CLua
import Glibc
import LuaHost

/// `labsh.os`: the few system calls that jobs and the audit log need and
/// plain Lua lacks: advisory locks, process liveness, sleeping, this
/// binary's path and SHA-256.
enum OSModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 8)
        // lock(path [, wait]): an exclusive flock(2) on path (created 0600),
        // held by the returned fd until unlock(fd) or the process ends; the
        // kernel drops it when a killed process's fd closes, so a lock is
        // never stale. Without wait, nil if another process holds it. The
        // holder's pid is written into the file (for overlap = "kill").
        state.setFunction("lock") { call in
            let path = try call.string(1)
            let wait = call.type(2) == LUA_TBOOLEAN && lua_toboolean(call.L, 2) != 0
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
        // alive(pid): is there a process with this id?
        state.setFunction("alive") { call in
            let pid = pid_t(truncatingIfNeeded: try call.integer(1))
            return call.push(pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
        }
        // kill(pid, signal): signal a process and its group (negative pid: the group)
        state.setFunction("kill") { call in
            let pid = pid_t(truncatingIfNeeded: try call.integer(1))
            let sig = Int32(truncatingIfNeeded: try call.optInteger(2) ?? Int64(SIGTERM))
            return call.push(kill(pid, sig) == 0)
        }
        // sleep(seconds): nanosleep; a signal cuts it short (the stop hook then runs)
        state.setFunction("sleep") { call in
            let s = max(0, try call.number(1))
            var ts = timespec(tv_sec: Int(s), tv_nsec: Int((s - s.rounded(.down)) * 1e9))
            _ = nanosleep(&ts, nil)
            return 0
        }
        // executable(): the path of the running labsh (/proc/self/exe)
        state.setFunction("executable") { call in
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink("/proc/self/exe", &buf, buf.count - 1)
            guard n > 0 else { return call.push(LuaValue.nil) }
            return call.push(String(cString: buf))
        }
        // list(dir): the names in a directory, sorted ("." and ".." left
        // out); nil if it cannot be read (missing is the usual case)
        state.setFunction("list") { call in
            let path = try call.string(1)
            guard let dir = opendir(path) else { return call.push(LuaValue.nil) }
            defer { closedir(dir) }
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                }
                if name != "." && name != ".." { names.append(name) }
            }
            return call.push(LuaValue.table(LuaTable(array: names.sorted().map { .str($0) })))
        }
        // sha256(bytes): lowercase hex
        state.setFunction("sha256") { call in call.push(SHA256.hex(try call.bytes(1))) }
    }
}

/// SHA-256 (FIPS 180-4), for the audit log's script digests.
enum SHA256 {
    static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func hex(_ message: [UInt8]) -> String {
        var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        var data = message
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        let bits = UInt64(message.count) * 8
        for i in (0..<8).reversed() { data.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
        var w = [UInt32](repeating: 0, count: 64)
        for chunk in stride(from: 0, to: data.count, by: 64) {
            for i in 0..<16 {
                let j = chunk + i * 4
                w[i] = UInt32(data[j]) << 24 | UInt32(data[j + 1]) << 16 | UInt32(data[j + 2]) << 8 | UInt32(data[j + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
            for i in 0..<64 {
                let t1 = hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
                let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
            }
            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
        }
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for word in h {
            for shift in stride(from: 28, through: 0, by: -4) { out.append(digits[Int((word >> UInt32(shift)) & 0xf)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always) static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
}
