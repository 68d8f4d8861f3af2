/// YAML text for the generators (Ansible inventory, Prometheus rules,
/// Alertmanager configuration).
enum YAML {
    /// A double-quoted YAML scalar: whatever `s` holds, it reads back as the
    /// same text and cannot end the scalar or the line. Escaped: `"` and `\`,
    /// every character YAML does not allow as is (C0, DEL, C1, surrogates
    /// cannot occur, U+FFFE/U+FFFF) and the ones YAML 1.1 readers (libyaml,
    /// PyYAML, Go's yaml.v2) take for line breaks or a byte-order mark
    /// (U+0085, U+2028, U+2029, U+FEFF).
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            default:
                switch u.value {
                case 0x00..<0x20, 0x7f...0x9f:
                    out += "\\x" + hex(u.value, width: 2)
                case 0x2028, 0x2029, 0xfeff, 0xfffe, 0xffff:
                    out += "\\u" + hex(u.value, width: 4)
                default:
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// Text for a `# ` comment line: control characters escaped, so it
    /// stays one line.
    static func comment(_ s: String) -> String { InventoryText.visible(s) }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
