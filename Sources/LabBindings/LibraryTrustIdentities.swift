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
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        } while divisor > 0
    }

    /// The kinds of line the record file holds (LibraryTrust.readRecords).
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
        func firstSpace(after start: Int, before end: Int) -> Int? {
            var i = start
            while i < end { if all[i] == space { return i }; i += 1 }
            return nil
        }
        var number = 0, start = 0, inLibrary = false
        while start < all.count {
            var end = start
            while end < all.count && all[end] != newline { end += 1 }
            defer { start = end + 1 }
            if end == start { continue }  // empty lines are not counted
            number += 1
            if starts("library ", start, end) {
                inLibrary = true
                try each(.library, start + 8, start + 8, end)
            } else if inLibrary, starts("identity ", start, end), let gap = firstSpace(after: start + 9, before: end) {
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
        private(set) var lines: [UInt8] = []
        /// Where each line starts in `lines`, and (last) its end.
        private var starts: [Int] = [0]
        var count: Int { starts.count - 1 }
        var recorded = false
        var digests = 0
        /// Whether the files are in strictly increasing byte order (labsh
        /// writes them sorted): then a file is found by binary search.
        private(set) var sorted = true

        /// The library at the real path `real` in the record file's `bytes`
        /// (its last part, as `records()` keeps the last).
        init(_ all: UnsafeBufferPointer<UInt8>, name: String, library real: String) throws {
            var mine = false
            try LibraryTrust.scanRecords(all, name: name) { kind, start, split, end in
                switch kind {
                case .library:
                    mine = LibraryTrust.equal(all, start, end, real)
                    if mine { (recorded, lines, starts, digests, sorted) = (true, [], [0], 0, true) }
                case .digest where mine:
                    digests += 1
                case .identity where mine:
                    if count > 0 && sorted { sorted = fileBefore(all, split + 1, end) }
                    lines.append(contentsOf: UnsafeBufferPointer(rebasing: all[start..<end]))
                    lines.append(UInt8(ascii: "\n"))
                    starts.append(lines.count)
                default:
                    break
                }
            }
        }

        /// Does the last line's FILE come before all[from..<to] in byte order?
        private func fileBefore(_ all: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
            let last = file(count - 1)
            return lines[last.start..<last.end].lexicographicallyPrecedes(all[from..<to])
        }

        /// Line `i`'s FILE as a range of `lines`.
        private func file(_ i: Int) -> (start: Int, end: Int) {
            var gap = starts[i]
            while lines[gap] != UInt8(ascii: " ") { gap += 1 }
            return (gap + 1, starts[i + 1] - 1)
        }

        /// Is `line` ("IDENTITY FILE\n", FILE after its first space) one of them?
        func contains(_ line: [UInt8]) -> Bool {
            guard let gap = line.firstIndex(of: UInt8(ascii: " ")) else { return false }
            let name = line[(gap + 1)..<(line.count - 1)]
            guard sorted else { return (0..<count).contains { same(line, $0) } }
            var low = 0, high = count  // binary search by FILE
            while low < high {
                let middle = (low + high) / 2
                let range = file(middle)
                let there = lines[range.start..<range.end]
                if there.elementsEqual(name) { return same(line, middle) }
                if there.lexicographicallyPrecedes(name) { low = middle + 1 } else { high = middle }
            }
            return false
        }

        private func same(_ line: [UInt8], _ i: Int) -> Bool {
            line.count == starts[i + 1] - starts[i] && lines[starts[i]..<starts[i + 1]].elementsEqual(line)
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
                    let length = strlen(name.baseAddress!)
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<length])
                    if length <= 2 && bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) { return true }  // . and ..
                    if base == 0 && length == 4 && memcmp(name.baseAddress!, ".git", 4) == 0 { return true }
                    guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return false }
                    var st = stat()
                    guard fstatat(dirfd(stream), name.baseAddress!, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return false }
                    relative.removeSubrange(base...)
                    if base > 0 { relative.append(UInt8(ascii: "/")) }
                    relative.append(contentsOf: bytes)
                    switch st.st_mode & S_IFMT {
                    case S_IFDIR:
                        let child = openat(dirfd(stream), name.baseAddress!, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
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
