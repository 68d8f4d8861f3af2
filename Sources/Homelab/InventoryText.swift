/// The rules for text in an inventory. Generated files (zone files, UCI,
/// YAML, systemd units, crontabs) put inventory text on a line of their own,
/// where a line break or another control character could end the value and
/// start a directive of the attacker's choosing. So text is one line of
/// printable characters, and names that become host names are host names:
/// the decoder refuses anything else at load, naming the field. The
/// generators escape their text as well (defence in depth).
enum InventoryText {
    /// What is wrong with `text`, or nil: "contains a newline (control
    /// characters are not allowed)". `multiline` lets newlines and tabs
    /// through, for code such as a PromQL expression.
    static func problem(_ text: String, multiline: Bool = false) -> String? {
        guard mayHoldControl(text) else { return nil }
        for scalar in text.unicodeScalars {
            if multiline && (scalar == "\n" || scalar == "\t") { continue }
            if let name = controlName(scalar) {
                return "contains \(name) (control characters "
                    + (multiline ? "other than newline and tab " : "") + "are not allowed)"
            }
        }
        return nil
    }

    /// A cheap first look at the bytes: C0 and DEL are single bytes, C1 is
    /// 0xC2 0x80-0x9F, U+2028 and U+2029 start with 0xE2. Most text has none
    /// of these lead bytes, and an inventory has hundreds of thousands of strings.
    private static func mayHoldControl(_ text: String) -> Bool {
        let found = text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.contains { $0 < 0x20 || $0 == 0x7f || $0 == 0xc2 || $0 == 0xe2 }
        }
        return found ?? text.utf8.contains { $0 < 0x20 || $0 == 0x7f || $0 == 0xc2 || $0 == 0xe2 }
    }

    /// The name of a control or line-breaking character, or nil for any other.
    static func controlName(_ scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0x0a: return "a newline"
        case 0x0d: return "a carriage return"
        case 0x00: return "a NUL byte"
        case 0x09: return "a tab"
        case 0x1b: return "an escape character"
        case 0x2028: return "a line separator (U+2028)"
        case 0x2029: return "a paragraph separator (U+2029)"
        case 0x00..<0x20, 0x7f, 0x80..<0xa0: return "the control character \(codePoint(scalar))"
        default: return nil
        }
    }

    /// "U+001B"
    static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// `text` with every control character written as an escape (`\n`,
    /// `\u{1B}`), for echoing a refused value or key in a message.
    static func visible(_ text: String) -> String {
        guard mayHoldControl(text) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\0": out += "\\0"
            default:
                if controlName(scalar) != nil {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A host name (RFC 1123): dot-separated labels of letters, digits and
    /// inner hyphens, 1-63 characters each, 253 in all. Node and guest names
    /// become DNS owner names, Ansible host names and ssh destinations.
    /// One pass over the bytes, no allocation: an inventory has thousands.
    static func isHostName(_ name: String) -> Bool {
        let dot = UInt8(ascii: "."), hyphen = UInt8(ascii: "-")
        var total = 0, label = 0
        var previous = dot
        for b in name.utf8 {
            total += 1
            if b == dot {
                guard label > 0, previous != hyphen else { return false }
                label = 0
            } else {
                let letterOrDigit = (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "z"))
                    || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                guard letterOrDigit || (b == hyphen && label > 0) else { return false }
                label += 1
                guard label <= 63 else { return false }
            }
            previous = b
        }
        return total > 0 && total <= 253 && label > 0 && previous != hyphen
    }

    static let hostNameRule = "letters, digits and inner '-', in dot-separated labels of 1-63 characters"

    /// A single mailbox as Alertmanager needs it: local@domain with no
    /// spaces, no list separators (',' ';' would add recipients), no angle
    /// brackets or quotes, and no '{' or '}' (Alertmanager expands `to` and
    /// `from` as templates).
    static func isMailbox(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, isHostName(String(parts[1])) else { return false }
        return parts[0].unicodeScalars.allSatisfy { c in
            c.value > 0x20 && c.value != 0x7f && !"{}<>,;:\"'()[]\\|`".unicodeScalars.contains(c) && controlName(c) == nil
        }
    }
}

extension FieldTable {
    /// A string field that must be a host name (a node's or guest's name).
    func hostName(_ key: String) -> String? {
        guard let name = string(key) else { return nil }
        guard InventoryText.isHostName(name) else {
            log.error(path.appending(key), "'\(name)' is not a host name (\(InventoryText.hostNameRule))")
            return nil
        }
        return name
    }

    /// A DNS domain: a host name, with or without its final dot.
    func domainName(_ key: String) -> String? {
        guard let name = string(key) else { return nil }
        guard InventoryText.isHostName(name.hasSuffix(".") ? String(name.dropLast()) : name) else {
            log.error(path.appending(key), "'\(name)' is not a DNS domain (\(InventoryText.hostNameRule))")
            return nil
        }
        return name
    }

    /// The text of a string value at `path`, or nil (and an error logged)
    /// when it holds control characters. The path is made only for the
    /// error: most strings of an inventory are fine.
    func checkedText(_ text: String, at path: @autoclosure () -> FieldPath, multiline: Bool = false) -> String? {
        if let problem = InventoryText.problem(text, multiline: multiline) {
            log.error(path(), problem)
            return nil
        }
        return text
    }
}
