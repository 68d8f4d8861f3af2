import CLua
import Homelab
import LuaHost

/// Under a manifest, the ssh and scp processes labsh's remote layer starts
/// for an inventory host are checked here, word by word, against the host as
/// Swift validated it (PristineInventory): the destination, every option
/// (an ssh config file, a ProxyCommand through the bastion, the key), and
/// the local file scp reads or writes. The layer builds them from the
/// model's Lua tables, which the script can change; what it changed shows
/// here as a word the inventory does not give, and is refused.
enum RemoteProcessCheck {
    struct Refused: Error { var why: String }

    static func check(_ call: LuaCall, argv: [String], host name: String, _ capabilities: Capabilities) throws {
        let L = call.L
        guard let host = try PristineInventory.host(call, name) else {
            throw Capabilities.error(capabilities.deny(L, "hosts", name, "ssh to", "no node or guest of that name in the inventory"))
        }
        if let denial = capabilities.hostDenial(L, host.name, host.facts) { throw Capabilities.error(denial) }
        do {
            let local = try verify(call, argv, host, capabilities)
            if let local {  // scp's own file: read for a copy, written for a fetch
                let why = local.writes ? capabilities.writeDenial(L, local.path, byLabsh: false)
                    : capabilities.readRefusal(local.path).map { capabilities.deny(L, "files.read", local.path, "read", $0) }
                if let why { throw Capabilities.error(why) }
            }
        } catch let refused as Refused {
            throw Capabilities.error(capabilities.deny(L, "hosts", name, "ssh to",
                "\(refused.why): not as the inventory gives \(name)'s access (was the model changed?)"))
        }
    }

    /// Checks `argv` (ssh, scp, or the ssh of a ProxyCommand) for `host`;
    /// returns scp's local file.
    static func verify(_ call: LuaCall, _ argv: [String], _ host: PristineInventory.Host,
                       _ capabilities: Capabilities) throws -> (path: String, writes: Bool)? {
        guard argv.first == "ssh" || argv.first == "scp" else { throw Refused(why: "program '\(argv.first ?? "")'") }
        var i = 1
        func next() throws -> String {
            i += 1
            guard i < argv.count else { throw Refused(why: "'\(argv[i - 1])' without a value") }
            return argv[i]
        }
        while i < argv.count, argv[i] != "--" {
            switch argv[i] {
            case "-T", "-q": break
            case "-O": try expect("control command", try next(), "exit")
            case "-F": try expect("ssh config", try next(), host.access.config)
            case "-o": try option(call, try next(), host.access, capabilities)
            case "-W":  // the bastion's own ssh in a ProxyCommand: -W %h:%p BASTION, the last words
                try expect("forward", try next(), "%h:%p")
                guard argv[0] == "ssh", i + 2 == argv.count else { throw Refused(why: "words after -W") }
                try expect("bastion", argv[i + 1], host.destination)
                return nil
            default: throw Refused(why: "option '\(Capabilities.printable(argv[i]))'")
            }
            i += 1
        }
        let operands = i + 1 < argv.count ? Array(argv[(i + 1)...]) : []
        guard let first = operands.first else { throw Refused(why: "no destination") }
        if argv[0] == "ssh" {
            try expect("destination", first, host.destination)
            return nil
        }
        // scp: HOST:PATH on one side, a local file on the other
        let remote = (host.destination.contains(":") ? "[\(host.destination)]" : host.destination) + ":"
        guard operands.count == 2 else { throw Refused(why: "scp of \(operands.count) files") }
        let fetch = operands[0].hasPrefix(remote)
        let local = fetch ? operands[1] : operands[0]
        guard fetch || operands[1].hasPrefix(remote) else { throw Refused(why: "destination '\(Capabilities.printable(operands[1]))'") }
        // scp reads "NAME:..." as another host unless a '/' comes before the ':'
        if let colon = local.firstIndex(of: ":"), !local[..<colon].contains("/") {
            throw Refused(why: "local file '\(Capabilities.printable(local))' names a host")
        }
        return (local, fetch)
    }

    static func expect(_ what: String, _ value: String, _ wanted: String?) throws {
        guard value == wanted else { throw Refused(why: "\(what) '\(Capabilities.printable(value))'") }
    }

    /// One "-o NAME=VALUE": only what labsh.remote sets, with the inventory's values.
    static func option(_ call: LuaCall, _ word: String, _ access: SSHAccess, _ capabilities: Capabilities) throws {
        // by byte, as ssh splits it (a Character walk cost ~5K instructions a word, per host)
        guard let eq = word.utf8.firstIndex(of: UInt8(ascii: "=")) else { throw Refused(why: "option '\(Capabilities.printable(word))'") }
        let name = String(word[..<eq]), value = String(word[word.utf8.index(after: eq)...])
        func wants(_ wanted: String?) throws { try expect(name, value, wanted) }
        func holds(_ ok: Bool) throws { if !ok { try wants(nil) } }
        switch name {
        case "BatchMode", "IdentitiesOnly": try wants("yes")
        case "ControlMaster": try wants("auto")
        case "ControlPersist", "ServerAliveInterval": try holds(!value.isEmpty && value.allSatisfy(\.isNumber))
        case "ControlPath": try holds(value.hasSuffix("-%C") && value.filter { $0 == "%" }.count == 1)  // a master per destination
        case "StrictHostKeyChecking": try wants(access.hostKeyChecking ?? "yes")
        case "UserKnownHostsFile": try wants(access.knownHosts)
        case "ConnectTimeout": try wants(String(access.connectTimeout ?? 10))
        case "Port": try wants(access.port.map(String.init))
        case "User": try wants(access.user)
        case "IdentityFile":
            switch access.key?.source {
            case .file(let path)?: try wants(path)
            case .environment?: break  // a 0600 file labsh wrote from the variable
            case nil: try wants(nil)
            }
        case "ProxyCommand":
            guard let jump = access.jump, let bastion = try PristineInventory.host(call, jump),
                  let words = shellWords(value) else { return try wants(nil) }
            if let denial = capabilities.hostDenial(call.L, bastion.name, bastion.facts) { throw Capabilities.error(denial) }
            // labsh.remote doubles each % of the bastion's words: ProxyCommand expands %h and %p
            _ = try verify(call, words.map(undoubled), bastion, capabilities)
        default:
            throw Refused(why: "option \(name)")
        }
    }

    /// `text` with each "%%" read as "%".
    static func undoubled(_ text: String) -> String {
        var out = "", percent = false
        for c in text {
            if c == "%" && percent { percent = false; continue }
            percent = c == "%"
            out.append(c)
        }
        return out
    }

    /// The words of a ProxyCommand as labsh.remote writes it: plain words and
    /// single-quoted ones ('\'' for a quote inside); nil for anything else a
    /// shell would read (variables, redirections, more commands).
    static func shellWords(_ text: String) -> [String]? {
        var words: [String] = [], word = "", inWord = false
        var chars = text.makeIterator()
        while let c = chars.next() {
            switch c {
            case "'":
                inWord = true
                while true {
                    guard let q = chars.next() else { return nil }
                    if q == "'" { break }
                    word.append(q)
                }
            case "\\":
                guard let escaped = chars.next() else { return nil }
                word.append(escaped)
                inWord = true
            case " ":
                if inWord { words.append(word) }
                word = ""
                inWord = false
            default:
                guard c.isLetter || c.isNumber || "-_.:/%=@+,".contains(c) else { return nil }
                word.append(c)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
