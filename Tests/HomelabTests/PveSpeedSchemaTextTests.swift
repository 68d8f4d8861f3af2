import Testing
@testable import Homelab

/// The schema read as calls need it: ProxmoxSchemaText finds each path's
/// text without building anything (strings with brackets, quotes and
/// backslashes in them must not confuse it), and ProxmoxSchema reads the
/// operations of a path only when a call names it, once.
@Suite struct PveSpeedSchemaTextTests {
    static func paths(_ json: String) throws -> [(template: String, text: String)] {
        var bytes = Array(json.utf8)
        return try bytes.withUnsafeMutableBytes { buffer in
            try ProxmoxSchemaText.paths(UnsafeRawBufferPointer(buffer)).map {
                ($0.template, String(decoding: buffer[$0.range], as: UTF8.self))
            }
        }
    }

    @Test func eachPathsTextIsFoundWhole() throws {
        let json = #"""
        { "source": {"note": "a } and a ] in a string", "n": [1, 2, {"x": null}]},
          "paths" : {
            "/a": {"GET": {"pattern": "^[^\\x00-\\x1F\\\"]*$", "returns": {"type": "array", "items": [{}, []]}}},
            "/a/{id}" :{"PUT":{"default":"ends in a backslash \\\\","optional":1}} ,
            "/b": [true, false, -1.5e3],
            "/c": 42
          },
          "after": "}"
        }
        """#
        let found = try Self.paths(json)
        #expect(found.map(\.template) == ["/a", "/a/{id}", "/b", "/c"])
        #expect(found[0].text == #"{"GET": {"pattern": "^[^\\x00-\\x1F\\\"]*$", "returns": {"type": "array", "items": [{}, []]}}}"#)
        #expect(found[1].text == #"{"PUT":{"default":"ends in a backslash \\\\","optional":1}}"#)
        #expect(found[2].text == "[true, false, -1.5e3]")
        #expect(found[3].text == "42")
    }

    /// Strings are stepped over eight bytes at a time: an escaped quote or
    /// backslash at any offset, and the end at any offset, must be found.
    @Test func escapesAtEveryOffsetOfALongString() throws {
        for offset in 0..<20 {
            for escape in [#"\""#, #"\\"#, #"\u0022"#] {
                let text = String(repeating: "a", count: offset) + escape + String(repeating: "}", count: 19 - offset)
                let value = #"{"x": ""# + text + #"", "y": [1]}"#
                let found = try Self.paths(#"{"paths": {"/p": "# + value + #", "/q": {}}}"#)
                #expect(found.map(\.template) == ["/p", "/q"], "\(value)")
                #expect(found.first?.text == value)
            }
        }
    }

    @Test func brokenTextIsRefusedNotMisread() {
        for json in [#"{"paths": {"/a": {"GET": "no end}}"#, #"{"paths": {"/a": {"GET": {}}"#,
                     #"{"other": {}}"#, #"{"paths": {"/a" {}}}"#, "[]", ""] {
            #expect(throws: HomelabError.self, "\(json)") { try Self.paths(json) }
        }
    }

    @Test func templatesSplitOnBytesAsOnCharacters() {
        for template in ["/", "", "/nodes/{node}/qemu/{vmid}", "//a//b/", "a/b", "/nödes/{x}/é", "/x/"] {
            #expect(ProxmoxSchema.segments(template) == template.split(separator: "/"), "\(template)")
        }
    }

    @Test func operationsAreReadWhenACallNamesTheirPath() throws {
        final class Reads: @unchecked Sendable { var of: [String] = [] }
        let reads = Reads()
        let get: InventoryValue = .map(["GET": .map(["parameters": .map(["properties": .map([
            "type": .map(["type": .string("string"), "optional": .integer(1)])])])])])
        let schema = ProxmoxSchema(templates: ["/cluster/resources", "/nodes/{node}/qemu", "/version"]) { template in
            reads.of.append(template)
            return get
        }
        #expect(reads.of.isEmpty)
        let call = try schema.check("GET", "/cluster/resources", [("type", .string("vm"))])
        #expect(call.fields.map(\.value) == ["vm"])
        _ = try schema.check("GET", "/cluster/resources", [])
        #expect(reads.of == ["/cluster/resources"])
        // Every template still matches and still suggests, unread.
        #expect(throws: HomelabError.self) { try schema.check("GET", "/cluster/resource", []) }
        #expect(try schema.match("/nodes/pve1/qemu").template == "/nodes/{node}/qemu")
        #expect(reads.of == ["/cluster/resources"])
    }
}

/// Found by the spec that compares every path with the whole schema: PVE
/// writes `optional` as "1" in places (POST /access/domains/{realm}/sync),
/// and such a parameter was taken as required.
@Suite struct PveSpeedOptionalFlagTests {
    @Test func optionalWrittenAsTextIsOptional() throws {
        let param: (InventoryValue) -> InventoryValue = { .map(["type": .string("boolean"), "optional": $0]) }
        let schema = try ProxmoxSchema(.map(["paths": .map(["/access/domains/{realm}/sync": .map(["POST": .map([
            "parameters": .map(["properties": .map([
                "realm": .map(["type": .string("string")]),
                "enable-new": param(.string("1")), "full": param(.integer(1)), "purge": param(.boolean(true)),
            ])]),
        ])])])]))
        let call = try schema.check("POST", "/access/domains/pam/sync", [])
        #expect(call.fields.isEmpty)
    }
}
