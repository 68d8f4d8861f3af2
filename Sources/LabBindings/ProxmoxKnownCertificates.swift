import CLua
import Connectors
import Glibc
import LuaHost

/// The state directory's file of node certificates whose fingerprint was
/// confirmed (KnownCertificates), for labsh.pve's `remembered` and
/// `remember`. A state file like the audit log: opened without following a
/// symbolic link, refused unless it is the user's and closed to others
/// (checked on the opened descriptor), replaced whole, mode 0600.
extension ProxmoxModule {
    /// More than this is not a file labsh wrote (a line is ~1.5 KB).
    static let knownCertificatesLimit = 1 << 20

    static func pushKnownCertificates(_ state: LuaState) {
        // remembered(file, url, fingerprint) -> pin | nil [, why the file was refused]
        state.setFunction("remembered") { call in
            let file = try call.string(1), url = try call.string(2), fingerprint = try call.string(3)
            do {
                let leaf = try readKnownCertificates(file).certificate(url: url, fingerprint: fingerprint)
                return call.push(all: [leaf?.publicKeyPin.map { LuaValue.str($0) } ?? .nil])
            } catch {
                return call.push(all: [LuaValue.nil, "\(error)"])
            }
        }
        // remember(file, url, certificate DER) -> true | nil, why
        state.setFunction("remember") { call in
            let file = try call.string(1), url = try call.string(2), der = try call.bytes(3)
            do {
                var known = try readKnownCertificates(file)
                guard known.remember(url: url, certificate: LeafCertificate(der: der)) else {
                    return call.push(all: [LuaValue.nil, "\(url) cannot be written in \(file)"])
                }
                try SafeFiles.replace(file, with: Array(known.text.utf8), mode: 0o600)
                return call.push(true)
            } catch {
                return call.push(all: [LuaValue.nil, "\(error)"])
            }
        }
    }

    /// The file's certificates; none when it does not exist. Throws
    /// (SafeFiles.Failure) when it is refused or cannot be read.
    static func readKnownCertificates(_ path: String) throws -> KnownCertificates {
        var st = stat()
        if lstat(path, &st) != 0 && errno == ENOENT { return KnownCertificates() }
        let fd = try SafeFiles.openStateFile(path, flags: O_RDONLY, privacy: .secret, create: false)
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw SafeFiles.Failure("cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            bytes += chunk[0..<n]
            guard bytes.count <= knownCertificatesLimit else {
                throw SafeFiles.Failure("refusing \(path): larger than \(knownCertificatesLimit) bytes; remove it (labsh rewrites it)")
            }
        }
        return KnownCertificates(text: String(decoding: bytes, as: UTF8.self))
    }
}
