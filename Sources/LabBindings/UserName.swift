import Glibc

/// The effective user's login name, as the audit log names who acted: the
/// name getpwuid gives, its number when it has none.
///
/// Every library script's start writes an audit line, and glibc's first
/// getpwuid sets up its name service switch first (~75 µs, 8% of
/// `lua5.4 -e ''`: two tries at nscd's socket, nsswitch.conf, then
/// /etc/passwd). Where nsswitch.conf asks `files` first for passwd, the
/// first /etc/passwd entry with the uid is getpwuid's answer, and it is read
/// here directly. Anything else (another service first, an action after
/// `files`, a compat `+`/`-` line, a line that does not parse, no entry) is
/// left to getpwuid.
enum UserName {
    static func effective() -> String {
        let uid = geteuid()
        if let nsswitch = try? LibraryTrust.readFollowing("/etc/nsswitch.conf", limit: systemFileLimit),
           asksFilesFirst(nsswitch),
           let passwd = try? LibraryTrust.readFollowing("/etc/passwd", limit: systemFileLimit),
           let name = name(of: uid, inPasswd: passwd) {
            return name
        }
        guard let pw = getpwuid(uid) else { return String(uid) }
        return String(cString: pw.pointee.pw_name)
    }

    /// Whether the one `passwd:` line of nsswitch.conf names `files` first,
    /// with no action after it.
    static func asksFilesFirst(_ conf: [UInt8]) -> Bool {
        var answer: Bool?
        var ok = true
        forEachLine(conf) { line in
            var at = line.lowerBound
            let end = conf[line].firstIndex(of: UInt8(ascii: "#")) ?? line.upperBound  // a comment ends the line
            guard word(conf, &at, end, is: "passwd:") else { return true }
            guard answer == nil else { ok = false; return false }  // two passwd lines: glibc's choice, not guessed
            let files = word(conf, &at, end, is: "files")
            while at < end, isBlank(conf[at]) { at += 1 }
            answer = files && (at == end || conf[at] != UInt8(ascii: "["))
            return true
        }
        return ok && answer == true
    }

    /// The name of the first entry for `uid` in a passwd file, as glibc's
    /// `files` service reads it (blank and `#` lines skipped); nil when
    /// there is none, or a line before it is one that service might read
    /// otherwise than here.
    static func name(of uid: uid_t, inPasswd passwd: [UInt8]) -> String? {
        var name: String?
        forEachLine(passwd) { line in
            var at = line.lowerBound
            while at < line.upperBound, isBlank(passwd[at]) { at += 1 }
            guard at < line.upperBound, passwd[at] != UInt8(ascii: "#") else { return true }
            guard passwd[at] != UInt8(ascii: "+"), passwd[at] != UInt8(ascii: "-") else { return false }  // compat
            var colons: [Int] = []  // name:password:uid:gid:gecos:home:shell
            for i in at..<line.upperBound where passwd[i] == UInt8(ascii: ":") { colons.append(i) }
            guard colons.count >= 6, colons[0] > at, let entry = decimal(passwd[(colons[1] + 1)..<colons[2]]) else {
                return false
            }
            if entry == uid { name = String(decoding: passwd[at..<colons[0]], as: UTF8.self) }
            return entry != uid
        }
        return name
    }

    /// Calls `body` with each line's range (no newline), until it answers false.
    private static func forEachLine(_ bytes: [UInt8], _ body: (Range<Int>) -> Bool) {
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            guard body(start..<end) else { return }
            start = end + 1
        }
    }

    /// Whether the next blank-separated word before `end`, from `at` on
    /// (moved past it), is `expected`. Bytes compared: no String is made.
    private static func word(_ bytes: [UInt8], _ at: inout Int, _ end: Int, is expected: StaticString) -> Bool {
        while at < end, isBlank(bytes[at]) { at += 1 }
        let start = at
        while at < end, !isBlank(bytes[at]) { at += 1 }
        guard at - start == expected.utf8CodeUnitCount else { return false }
        return expected.withUTF8Buffer { want in (0..<want.count).allSatisfy { bytes[start + $0] == want[$0] } }
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    private static func decimal(_ digits: ArraySlice<UInt8>) -> uid_t? {
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var value: UInt64 = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(d - UInt8(ascii: "0"))
        }
        return value <= UInt64(UInt32.max) ? uid_t(value) : nil
    }

    /// The most read of nsswitch.conf or /etc/passwd: beyond, getpwuid answers.
    private static var systemFileLimit: Int { 4 << 20 }
}
