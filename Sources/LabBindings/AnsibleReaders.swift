import Connectors
import Glibc
import Homelab
import LuaHost

/// The two ways labsh reads an Ansible inventory file: through Ansible
/// itself (`ansible-inventory -i FILE --list`, when it is installed), so
/// Ansible decides what the file means; else the built-in reader (YAML and
/// INI, with `group_vars/` and `host_vars/` beside the file), tested to
/// agree with Ansible (Tests/lua/ansible_import_spec.lua).
enum AnsibleReaders {
    enum Reader: String { case ansible, builtin }

    /// `ansible-inventory` on PATH ($LABSH_ANSIBLE_INVENTORY names another).
    static func ansibleInventoryProgram() -> String? {
        if let given = getenv("LABSH_ANSIBLE_INVENTORY").map({ String(cString: $0) }), !given.isEmpty {
            return access(given, X_OK) == 0 ? given : nil
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/ansible-inventory"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Reads `path` with `reader` (nil: Ansible when installed, else built in).
    static func read(_ path: String, reader: Reader?) throws -> (AnsibleInventory, Reader) {
        let program = ansibleInventoryProgram()
        switch reader {
        case .ansible?:
            guard let program else {
                throw LuaRaise.object(kind: "ansible", message: "\(path): ansible-inventory is not installed (reader = \"ansible\")",
                                      fields: ["file": .str(path)])
            }
            return (try viaAnsible(path, program: program), .ansible)
        case .builtin?: return (try builtin(path), .builtin)
        case nil:
            guard let program else { return (try builtin(path), .builtin) }
            do { return (try viaAnsible(path, program: program), .ansible) } catch let e as NeedsVaultPassword {
                // Ansible stops at a vault-encrypted vars file; the built-in
                // reader leaves it unread and says so.
                var inventory = try builtin(path)
                inventory.warnings.insert(AnsibleError.shown("ansible-inventory stopped at a vault-encrypted file (\(e.said)); read with the built-in reader instead"), at: 0)
                return (inventory, .builtin)
            }
        }
    }

    // ---- Through Ansible -------------------------------------------------------

    /// Only Ansible's own yaml and ini inventory plugins and its group_vars/
    /// host_vars reader are enabled, by their full names: an executable
    /// inventory (the script plugin), a plugin configuration or another vars
    /// plugin would run code. Ansible runs in "/", so that the ansible.cfg of
    /// the current directory (a shared repository's, perhaps) cannot add
    /// plugins or a vault password script; the user's own ~/.ansible.cfg and
    /// /etc/ansible/ansible.cfg still count.
    static func viaAnsible(_ path: String, program: String) throws -> AnsibleInventory {
        var spec = ProcessSpec(argv: [absolute(program), "-i", absolute(path), "--list"])
        spec.cwd = "/"
        spec.environment = [("ANSIBLE_INVENTORY_ENABLED", "ansible.builtin.yaml,ansible.builtin.ini"),
                            ("ANSIBLE_VARS_ENABLED", "ansible.builtin.host_group_vars"),
                            ("ANSIBLE_INVENTORY_UNPARSED_FAILED", "True"),
                            ("ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED", "True"), ("ANSIBLE_NOCOLOR", "1"),
                            ("ANSIBLE_DEPRECATION_WARNINGS", "False")]
        spec.timeout = 120
        let fail = { (message: String) in
            LuaRaise.object(kind: "ansible", message: AnsibleError.shown("\(path): ansible-inventory: \(message)"),
                            fields: ["file": .str(path)])
        }
        let outcome: ProcessOutcome
        do { outcome = try ProcessRunner.run(spec) } catch { throw fail("\(error)") }
        guard outcome.status == 0 else {
            let said = String(decoding: outcome.stderr, as: UTF8.self).split(separator: "\n")
                .filter { !$0.hasPrefix("[WARNING]") }.prefix(12).joined(separator: "\n")
            if let line = said.split(separator: "\n").first(where: { $0.contains("no vault secrets") }) {
                throw NeedsVaultPassword(said: String(line))
            }
            throw fail(outcome.timedOut ? "no answer within \(Int(spec.timeout!)) s" : said.isEmpty ? "failed" : said)
        }
        var sink = YAMLValueSink()
        do { try JSONParser.parse(outcome.stdout, into: &sink) } catch { throw fail("its output is not JSON: \(error)") }
        do { return try AnsibleInventory.fromList(sink.result) } catch let e as AnsibleError {
            throw AnsibleModule.raise(e, file: path)
        }
    }

    /// `path` from the current directory, for a program run elsewhere.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let cwd = getcwd(nil, 0) else { return path }
        defer { free(cwd) }
        return String(cString: cwd) + "/" + path
    }

    /// ansible-inventory needs a vault password labsh does not have.
    struct NeedsVaultPassword: Error { let said: String }

    // ---- Built in --------------------------------------------------------------

    static func builtin(_ path: String) throws -> AnsibleInventory {
        let text = try AnsibleModule.readFile(path)
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        var notes: [String] = []
        let groupVars = try varsFiles(in: dir + "/group_vars", notes: &notes)
        let hostVars = try varsFiles(in: dir + "/host_vars", notes: &notes)
        let lower = path.lowercased()
        let format: AnsibleInventory.Format? = [".yml", ".yaml", ".json"].contains { lower.hasSuffix($0) } ? .yaml
            : lower.hasSuffix(".ini") ? .ini : nil
        var inventory: AnsibleInventory
        do {
            inventory = try AnsibleInventory.parse(text, format: format, groupVars: groupVars, hostVars: hostVars)
        } catch let e as AnsibleError {
            throw AnsibleModule.raise(e, file: path)
        }
        inventory.warnings += notes
        return inventory
    }

    /// The variables of `group_vars/NAME` or `host_vars/NAME`: a file NAME,
    /// NAME.yml, NAME.yaml or NAME.json, or a directory NAME whose files
    /// (sorted, recursively) are merged, the later replacing the earlier.
    /// A vault-encrypted file is left unread, with a note.
    static func varsFiles(in dir: String, notes: inout [String]) throws -> [String: [String: YAMLValue]] {
        var out: [String: [String: YAMLValue]] = [:]
        for entry in listing(dir) {
            let full = dir + "/" + entry
            let (stem, ext) = split(entry)
            if isDirectory(full) {
                for file in filesBelow(full) { try merge(file, into: &out[entry, default: [:]], notes: &notes) }
            } else {
                // "web.yml" is web's; "pve2.lab.example.org" (no extension Ansible
                // knows) is that host's, as any other name is: unknown ones match nothing.
                try merge(full, into: &out[ext == nil ? entry : stem, default: [:]], notes: &notes)
            }
        }
        return out
    }

    static func merge(_ file: String, into vars: inout [String: YAMLValue], notes: inout [String]) throws {
        let text = try AnsibleModule.readFile(file)
        if text.hasPrefix("$ANSIBLE_VAULT") {
            notes.append(AnsibleError.shown("\(file) is vault-encrypted and was left unread (labsh does not decrypt vaults)"))
            return
        }
        let value: YAMLValue
        if file.lowercased().hasSuffix(".json") {
            var sink = YAMLValueSink()
            do { try JSONParser.parse(Array(text.utf8), into: &sink) } catch {
                throw LuaRaise.object(kind: "ansible", message: "\(file): \(error)", fields: ["file": .str(file)])
            }
            value = sink.result
        } else {
            do { value = try YAMLSubset.parse(text).value } catch let e as YAMLError {
                throw AnsibleModule.raise(AnsibleError(line: e.line, message: e.message), file: file)
            }
        }
        switch value {
        case .null: return
        case .map(let m): vars.merge(m) { _, new in new }
        default:
            throw LuaRaise.object(kind: "ansible", message: "\(file): variables are a mapping, not a \(value.typeName)",
                                  fields: ["file": .str(file)])
        }
    }

    /// Names in `dir`, sorted, without hidden files and editor backups.
    static func listing(_ dir: String) -> [String] {
        (directoryNames(dir) ?? []).filter { !$0.hasPrefix(".") && !$0.hasSuffix("~") }.sorted()
    }

    static func filesBelow(_ dir: String) -> [String] {
        listing(dir).flatMap { name -> [String] in
            let full = dir + "/" + name
            if isDirectory(full) { return filesBelow(full) }
            // As Ansible: no extension, or one it reads.
            let ext = name.lastIndex(of: ".").map { String(name[$0...]).lowercased() }
            return ext == nil || [".yml", ".yaml", ".json"].contains(ext!) ? [full] : []
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// "web.yml" -> ("web", ".yml"); "web" and "web.lan" -> (the name, nil).
    static func split(_ name: String) -> (String, String?) {
        for ext in [".yml", ".yaml", ".json"] where name.lowercased().hasSuffix(ext) {
            return (String(name.dropLast(ext.count)), ext)
        }
        return (name, nil)
    }
}

/// JSON into YAMLValue, the type the Ansible reader works on.
struct YAMLValueSink: JSONSink {
    private enum Frame { case object([String: YAMLValue], String?), array([YAMLValue]) }
    private var stack: [Frame] = []
    private(set) var result: YAMLValue = .null

    private mutating func emit(_ v: YAMLValue) {
        guard let top = stack.popLast() else { result = v; return }
        switch top {
        case .object(var m, let key?): m[key] = v; stack.append(.object(m, nil))
        case .object(let m, nil): stack.append(.object(m, nil))
        case .array(var a): a.append(v); stack.append(.array(a))
        }
    }

    mutating func beginObject() throws { stack.append(.object([:], nil)) }
    mutating func key(_ bytes: UnsafeRawBufferPointer) throws {
        guard case .object(let m, _)? = stack.popLast() else { return }
        stack.append(.object(m, String(decoding: bytes, as: UTF8.self)))
    }
    mutating func endObject() throws {
        guard case .object(let m, _)? = stack.popLast() else { return }
        emit(.map(m))
    }
    mutating func beginArray() throws { stack.append(.array([])) }
    mutating func endArray() throws {
        guard case .array(let a)? = stack.popLast() else { return }
        emit(.list(a))
    }
    mutating func string(_ bytes: UnsafeRawBufferPointer) throws { emit(.string(String(decoding: bytes, as: UTF8.self))) }
    mutating func integer(_ value: Int64) throws { emit(.int(value)) }
    mutating func double(_ value: Double) throws { emit(.float(value)) }
    mutating func bool(_ value: Bool) throws { emit(.bool(value)) }
    mutating func null() throws { emit(.null) }
}
