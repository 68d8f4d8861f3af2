import Glibc

/// The trust check's quick path, in bytes: is a library exactly as its
/// record says (the same regular files, none written since), so that its
/// files need not be read and hashed? It runs before every library script
/// starts, so it builds no Strings, no Dictionary and no array of a type the
/// rest of the start does not use. It can only answer "unchanged"; anything
/// it does not expect (a link, a special file, an odd name, a record line it
/// cannot place) sends the check to the full listing, which says what is wrong.
extension LibraryTrust {
    /// A file's identity as the record writes it:
    /// "DEV:INO:SIZE:MTIME_SEC.MTIME_NSEC:CTIME_SEC.CTIME_NSEC" (decimal).
    static func appendIdentity(_ st: stat, to out: inout [UInt8]) {
        let colon = UInt8(ascii: ":"), dot = UInt8(ascii: ".")
        appendDecimal(UInt64(st.st_dev), to: &out); out.append(colon)
        appendDecimal(UInt64(st.st_ino), to: &out); out.append(colon)
        appendDecimal(Int(st.st_size), to: &out); out.append(colon)
        appendDecimal(Int(st.st_mtim.tv_sec), to: &out); out.append(dot)
        appendDecimal(Int(st.st_mtim.tv_nsec), to: &out); out.append(colon)
        appendDecimal(Int(st.st_ctim.tv_sec), to: &out); out.append(dot)
        appendDecimal(Int(st.st_ctim.tv_nsec), to: &out)
    }

    /// As "\(value)" writes it (string interpolation cost ~700 instructions a number).
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendDecimal(UInt64(value.magnitude), to: &out)
    }

    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes on the stack: UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var value = value, first = buffer.count
            repeat {
                first -= 1
                buffer[first] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            } while value > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[first...]))
        }
    }

    /// The kinds of line the record file holds (see LibraryTrust.records).
    enum RecordLineKind { case library, digest, identity }

    /// Reads the record file's lines as bytes, calling `each(kind, start,
    /// split, end)` for each: a library line's PATH is start..<end; a digest
    /// line's DIGEST start..<split and FILE split+1..<end; an identity line's
    /// IDENTITY start..<split and FILE split+1..<end. Any line labsh does not
    /// write is an error naming its number, wherever it is.
    static func scanRecords(_ all: UnsafeBufferPointer<UInt8>, name: String,
                            _ each: (RecordLineKind, Int, Int, Int) throws -> Void) throws {
        let space = UInt8(ascii: " "), newline = UInt8(ascii: "\n")
        func starts(_ tag: StaticString, _ start: Int, _ end: Int) -> Bool {
            let count = tag.utf8CodeUnitCount
            guard end - start >= count else { return false }
            for i in 0..<count where all[start + i] != tag.utf8Start[i] { return false }
            return true
        }
        // memchr: the record is read before every library script starts
        func find(_ byte: UInt8, from start: Int, before end: Int) -> Int? {
            guard start < end, let at = memchr(all.baseAddress! + start, Int32(byte), end - start) else { return nil }
            return UnsafeRawPointer(at) - UnsafeRawPointer(all.baseAddress!)
        }
        var number = 0, start = 0, inLibrary = false
        while start < all.count {
            let end = find(newline, from: start, before: all.count) ?? all.count
            defer { start = end + 1 }
            if end == start { continue }  // empty lines are not counted
            number += 1
            if starts("library ", start, end) {
                inLibrary = true
                try each(.library, start + 8, start + 8, end)
            } else if inLibrary, starts("identity ", start, end), let gap = find(space, from: start + 9, before: end) {
                try each(.identity, start + 9, gap, end)
            } else if inLibrary, end - start > 65, all[start + 64] == space {
                try each(.digest, start, start + 64, end)
            } else {
                throw SafeFiles.Failure("\(name):\(number): not a line labsh writes; "
                    + "remove the file and trust the libraries again")
            }
        }
    }

    /// What the record says of one library, kept as bytes: its identity
    /// lines ("IDENTITY FILE\n", in the record's order) and how many files it
    /// has digests of. Found once per library and process; loadTrusted asks
    /// it again for each file it loads.
    final class RecordedIdentities {
        /// "IDENTITY FILE\n" for each identity line.
        let lines: [UInt8]
        let count: Int
        let recorded: Bool
        let digests: Int
        /// Whether the files are in strictly increasing byte order (labsh
        /// writes them sorted): then a file is found by binary search.
        let sorted: Bool

        /// The library at the real path `real` in the record file's bytes
        /// `all` (its last part, as `records()` keeps the last).
        init(_ all: UnsafeBufferPointer<UInt8>, name: String, library real: String) throws {
            var mine = false, recorded = false, lines: [UInt8] = [], count = 0, digests = 0, sorted = true
            var last: UnsafeBufferPointer<UInt8>? = nil  // the last identity line, in `all`
            try LibraryTrust.scanRecords(all, name: name) { kind, start, split, end in
                switch kind {
                case .library:
                    mine = LibraryTrust.equal(all, start, end, real)
                    if mine { (recorded, lines, count, digests, sorted, last) = (true, [], 0, 0, true, nil) }
                case .digest where mine:
                    digests += 1
                case .identity where mine:
                    let line = UnsafeBufferPointer(rebasing: all[start..<end])
                    if let last, sorted { sorted = RecordedIdentities.compareFiles(last, line) < 0 }
                    last = line
                    lines.append(contentsOf: line)
                    lines.append(UInt8(ascii: "\n"))
                    count += 1
                default:
                    break
                }
            }
            (self.lines, self.count, self.recorded, self.digests, self.sorted) = (lines, count, recorded, digests, sorted)
        }

        /// Is `line` ("IDENTITY FILE\n") one of them?
        func contains(_ line: [UInt8]) -> Bool {
            let sorted = sorted
            return lines.withUnsafeBufferPointer { lines in
                line.withUnsafeBufferPointer { line in
                    let line = UnsafeBufferPointer(rebasing: line.dropLast())
                    func end(of start: Int) -> Int {  // of the line that starts at `start`: its "\n"
                        var end = start
                        while lines[end] != UInt8(ascii: "\n") { end += 1 }
                        return end
                    }
                    guard sorted else {
                        var start = 0
                        while start < lines.count {
                            let end = end(of: start)
                            if RecordedIdentities.same(UnsafeBufferPointer(rebasing: lines[start..<end]), line) { return true }
                            start = end + 1
                        }
                        return false
                    }
                    // Binary search by FILE in the lines' bytes, as look(1)
                    // does: `low` and `high` are where lines start.
                    var low = 0, high = lines.count
                    while low < high {
                        var middle = (low + high) / 2
                        while middle > low && lines[middle - 1] != UInt8(ascii: "\n") { middle -= 1 }
                        let there = UnsafeBufferPointer(rebasing: lines[middle..<end(of: middle)])
                        let order = RecordedIdentities.compareFiles(there, line)
                        if order == 0 { return RecordedIdentities.same(there, line) }
                        if order < 0 { low = middle + there.count + 1 } else { high = middle }
                    }
                    return false
                }
            }
        }

        static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
            a.count == b.count && memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
        }

        /// The FILEs of two lines "IDENTITY FILE" in byte order: below 0, 0 or above 0.
        static func compareFiles(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
            guard let gapA = a.firstIndex(of: UInt8(ascii: " ")), let gapB = b.firstIndex(of: UInt8(ascii: " ")) else {
                return 1
            }
            let lengthA = a.count - gapA - 1, lengthB = b.count - gapB - 1
            let order = memcmp(a.baseAddress! + gapA + 1, b.baseAddress! + gapB + 1, min(lengthA, lengthB))
            return order != 0 ? Int(order) : lengthA - lengthB
        }
    }

    static func equal(_ all: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { $0.elementsEqual(UnsafeBufferPointer(rebasing: all[start..<end])) }
    }

    /// Whether the regular files below `dir` are exactly the `recorded`
    /// ones, each with its recorded identity, and none changed in the 50 ms
    /// before the record was written (`written`, nanoseconds: a change in the
    /// same tick of the clock keeps its change time). False also for
    /// anything unusual: a link, a special file, a control character in a
    /// name, a directory that cannot be read.
    static func unchanged(_ dir: String, as recorded: RecordedIdentities, written: Int) -> Bool {
        guard recorded.recorded, recorded.count > 0, recorded.count == recorded.digests else { return false }
        let top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard top >= 0 else { return false }
        var relative: [UInt8] = [], line: [UInt8] = []
        var files = 0, latestChange = Int.min
        relative.reserveCapacity(256)
        line.reserveCapacity(320)
        /// Visits the directory open as `fd` (closed here), `relative` its path below `dir`.
        func visit(_ fd: Int32) -> Bool {
            guard let stream = fdopendir(fd) else { close(fd); return false }
            defer { closedir(stream) }
            let base = relative.count
            while let entry = readdir(stream) {
                let ok = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> Bool in
                    let name = raw.bindMemory(to: CChar.self)
                    var length = 0
                    while name[length] != 0 { length += 1 }
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<length])
                    if length <= 2 && bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) { return true }  // . and ..
                    if base == 0 && length == 4 && memcmp(name.baseAddress!, ".git", 4) == 0 { return true }
                    guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return false }
                    var st = stat()
                    guard fstatat(fd, name.baseAddress!, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return false }
                    relative.removeSubrange(base...)
                    if base > 0 { relative.append(UInt8(ascii: "/")) }
                    relative.append(contentsOf: bytes)
                    switch st.st_mode & S_IFMT {
                    case S_IFDIR:
                        let child = openat(fd, name.baseAddress!, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                        return child >= 0 && visit(child)
                    case S_IFREG:
                        files += 1
                        guard files <= recorded.count else { return false }
                        latestChange = max(latestChange, Int(st.st_ctim.tv_sec) * 1_000_000_000 + Int(st.st_ctim.tv_nsec))
                        line.removeAll(keepingCapacity: true)
                        appendIdentity(st, to: &line)
                        line.append(UInt8(ascii: " "))
                        line.append(contentsOf: relative)
                        line.append(UInt8(ascii: "\n"))
                        return recorded.contains(line)
                    default:
                        return false  // a link is read through: only its digest tells
                    }
                }
                guard ok else { return false }
            }
            return true
        }
        // every file found among the recorded ones, as many as they are: the same files
        return visit(top) && files == recorded.count && latestChange < written - 50_000_000
    }
}
