import Testing
@testable import Connectors

/// Records parser events as text, one per event: "{", "k:a", "s:x", "i:1",
/// "d:2.5", "b:true", "null", "}".
private struct Recorder: JSONSink {
    var events: [String] = []
    mutating func beginObject() { events.append("{") }
    mutating func key(_ bytes: UnsafeRawBufferPointer) { events.append("k:" + String(decoding: bytes, as: UTF8.self)) }
    mutating func endObject() { events.append("}") }
    mutating func beginArray() { events.append("[") }
    mutating func endArray() { events.append("]") }
    mutating func string(_ bytes: UnsafeRawBufferPointer) { events.append("s:" + String(decoding: bytes, as: UTF8.self)) }
    mutating func integer(_ value: Int64) { events.append("i:\(value)") }
    mutating func double(_ value: Double) { events.append("d:\(value)") }
    mutating func bool(_ value: Bool) { events.append("b:\(value)") }
    mutating func null() { events.append("null") }
}

/// Re-writes what it hears: parse then write must give the same events.
private struct Rewriter: JSONSink {
    var writer = JSONWriter()
    mutating func beginObject() { writer.beginObject() }
    mutating func key(_ bytes: UnsafeRawBufferPointer) throws { try writer.key(bytes) }
    mutating func endObject() { writer.endObject() }
    mutating func beginArray() { writer.beginArray() }
    mutating func endArray() { writer.endArray() }
    mutating func string(_ bytes: UnsafeRawBufferPointer) throws { try writer.string(bytes) }
    mutating func integer(_ value: Int64) { writer.integer(value) }
    mutating func double(_ value: Double) throws { try writer.double(value) }
    mutating func bool(_ value: Bool) { writer.bool(value) }
    mutating func null() { writer.null() }
}

private func events(_ text: String) throws -> [String] {
    var r = Recorder()
    try JSONParser.parse(Array(text.utf8), into: &r)
    return r.events
}

private func events(bytes: [UInt8]) throws -> [String] {
    var r = Recorder()
    try JSONParser.parse(bytes, into: &r)
    return r.events
}

private func parseError(_ text: String) -> JSONError? {
    parseError(bytes: Array(text.utf8))
}

private func parseError(bytes: [UInt8]) -> JSONError? {
    var r = Recorder()
    do { try JSONParser.parse(bytes, into: &r) } catch let e as JSONError { return e } catch { return nil }
    return nil
}

@Suite private struct JSONParserTests {
    @Test func eventsInDocumentOrder() throws {
        #expect(try events(#" {"a": [1, -2.5, "x", true, false, null], "b": {}, "c": []} "#) ==
            ["{", "k:a", "[", "i:1", "d:-2.5", "s:x", "b:true", "b:false", "null", "]",
             "k:b", "{", "}", "k:c", "[", "]", "}"])
        #expect(try events("7") == ["i:7"])
        #expect(try events("\"\"") == ["s:"])
    }

    @Test func integersAreExactInt64() throws {
        #expect(try events("9223372036854775807") == ["i:9223372036854775807"])
        #expect(try events("-9223372036854775808") == ["i:-9223372036854775808"])
        #expect(try events("0") == ["i:0"])
        #expect(try events("-0") == ["i:0"])
        // One past Int64: a double.
        #expect(try events("9223372036854775808") == ["d:9.223372036854776e+18"])
        #expect(try events("-9223372036854775809") == ["d:-9.223372036854776e+18"])
        #expect(try events("123456789012345678901234567890") == ["d:1.2345678901234568e+29"])
    }

    @Test func doublesAreCorrectlyRounded() throws {
        let cases: [String] = ["0.1", "1700000000.123", "2.2250738585072014e-308", "4.9e-324",
                               "1.7976931348623157e308", "0.30000000000000004", "123456789.123456789e-5",
                               "9007199254740993.0", "1e22", "1e23", "-1.5E+3", "3.14159265358979323846264338327950288"]
        for text in cases {
            var r = Recorder()
            try JSONParser.parse(Array(text.utf8), into: &r)
            #expect(r.events == ["d:\(Double(text)!)"], "\(text)")
        }
        #expect(try events("1e-400") == ["d:0.0"])
        #expect(parseError("1e400")?.message.hasPrefix("number out of range") == true)
        #expect(parseError("-1e309")?.message.hasPrefix("number out of range") == true)
    }

    @Test func invalidNumbers() {
        for text in ["01", "-", "1.", ".5", "+1", "1e", "1e+", "-a", "0x10", "NaN", "Infinity", "1.e5"] {
            #expect(parseError(text) != nil, "\(text)")
        }
    }

    @Test func escapesAndSurrogates() throws {
        #expect(try events(#""a\"b\\c\/d\b\f\n\r\t""#) == ["s:a\"b\\c/d\u{8}\u{c}\n\r\t"])
        #expect(try events(#""\u00e9\u20AC\ud83d\ude00\u0000""#) == ["s:é€😀\u{0}"])
        #expect(parseError(#""\ud83d""#)?.message.contains("lone surrogate") == true)
        #expect(parseError(#""\ud83dx""#)?.message.contains("lone surrogate") == true)
        #expect(parseError(#""\ud83d\u0041""#)?.message.contains("lone surrogate") == true)
        #expect(parseError(#""\ude00""#)?.message.contains("lone surrogate") == true)
        #expect(parseError(#""\x""#)?.message.contains("invalid escape") == true)
        #expect(parseError(#""\u12""#)?.message.contains("4 hex digits") == true)
        #expect(parseError(#""\u12g4""#)?.message.contains("4 hex digits") == true)
    }

    @Test func invalidUTF8IsRejected() {
        let bad: [[UInt8]] = [
            [0x22, 0xC0, 0xAF, 0x22],              // overlong '/'
            [0x22, 0xE0, 0x80, 0xAF, 0x22],        // overlong, 3 bytes
            [0x22, 0xED, 0xA0, 0x80, 0x22],        // U+D800 encoded in UTF-8
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // beyond U+10FFFF
            [0x22, 0xE2, 0x82, 0x22],              // truncated €
            [0x22, 0x80, 0x22],                    // lone continuation byte
            [0x22, 0xFF, 0x22],
        ]
        for bytes in bad {
            #expect(parseError(bytes: bytes)?.message == "invalid UTF-8 in string", "\(bytes)")
        }
        #expect((try? events(bytes: [0x22, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0x22])) == ["s:€😀"])
    }

    @Test func controlCharactersMustBeEscaped() {
        #expect(parseError("\"a\nb\"")?.message == "control character U+000A in string (must be escaped)")
        #expect(parseError("\"\u{1}\"") != nil)
        #expect(parseError(bytes: [0x22, 0x00, 0x22]) != nil)
    }

    @Test func errorPositions() {
        let e = parseError("{\n  \"a\": 1,\n  \"b\": 2\n  \"c\": 3\n}")!
        #expect(e.message == "expected ',' or '}', found '\"'")
        #expect(e.line == 4 && e.column == 3 && e.offset == 23)
        #expect(e.description == "json: expected ',' or '}', found '\"' at line 4, column 3 (byte 24)")
        // Columns count characters, not bytes.
        let u = parseError("[\"é€\" x]")!
        #expect(u.column == 7 && u.offset == 9)
        #expect(parseError("")?.message == "expected a value, found end of input")
        #expect(parseError("[1,]")?.message == "expected a value, found ']'")
        #expect(parseError("{\"a\":1,}")?.message == "expected a string key, found '}'")
        #expect(parseError("{1:2}")?.message == "expected a string key or '}', found '1'")
        #expect(parseError("1 2")?.message == "expected end of input, found '2'")
        #expect(parseError("[1 2]")?.message == "expected ',' or ']', found '2'")
        #expect(parseError("tru")?.message == "invalid literal, expected 'true'")
        #expect(parseError("\"abc")?.message == "unterminated string")
        #expect(parseError("\u{FEFF}1")?.message == "expected a value, found byte 0xEF")
    }

    @Test func depthIsLimited() throws {
        let ok = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(try events(ok).count == 2000)
        let deep = String(repeating: "[", count: 1001) + String(repeating: "]", count: 1001)
        #expect(parseError(deep)?.message == "nesting deeper than 1000 levels")
        // Far deeper input fails the same way, without recursion.
        #expect(parseError(String(repeating: "{\"a\":", count: 200_000))?.message == "nesting deeper than 1000 levels")
    }
}

@Suite private struct JSONWriterTests {
    func written(_ build: (inout JSONWriter) throws -> Void, pretty: Bool = false) rethrows -> String {
        var w = JSONWriter(pretty: pretty)
        try build(&w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    func key(_ w: inout JSONWriter, _ k: String) throws {
        try Array(k.utf8).withUnsafeBytes { try w.key($0) }
    }

    @Test func compactAndPretty() throws {
        let text = try written { w in
            w.beginObject()
            try key(&w, "a")
            w.beginArray()
            w.integer(Int64.min)
            try w.double(1.0)
            try w.double(1e300)
            w.null()
            w.bool(false)
            w.beginArray(); w.endArray()
            w.endArray()
            try key(&w, "")
            w.beginObject(); w.endObject()
            w.endObject()
        }
        #expect(text == "{\"a\":[-9223372036854775808,1.0,1e+300,null,false,[]],\"\":{}}")
        let pretty = try written({ w in
            w.beginObject()
            try key(&w, "a")
            w.beginArray()
            w.integer(1)
            w.beginObject(); w.endObject()
            w.endArray()
            try key(&w, "b")
            w.bool(true)
            w.endObject()
        }, pretty: true)
        #expect(pretty == "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": true\n}")
    }

    @Test func escapesAndRejects() throws {
        #expect(try written { try $0.string("a\"\\\n\u{1}\u{7F}é") } == "\"a\\\"\\\\\\n\\u0001\u{7F}é\"")
        var w = JSONWriter()
        #expect(throws: JSONError.self) { try [UInt8]([0x61, 0xFF]).withUnsafeBytes { try w.string($0) } }
        #expect(throws: JSONError.self) { try w.double(.nan) }
        #expect(throws: JSONError.self) { try w.double(-.infinity) }
    }

    @Test func doublesRoundTrip() throws {
        for d in [0.1, 1700000000.123, 5e-324, 1.7976931348623157e308, -0.0, 123.0, 1e16, 2.5e-7] {
            let text = try written { try $0.double(d) }
            var r = Recorder()
            try JSONParser.parse(Array(text.utf8), into: &r)
            #expect(r.events == ["d:\(d)"], "\(text)")
        }
    }
}

/// Mutated documents: the parser must end with a value or a JSONError, never
/// crash, and a document it accepts must read back the same after writing.
@Suite private struct JSONFuzzTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {  // xorshift64*: fast, reproducible
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2685821657736338717
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static let seeds: [String] = [
        #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"node"},"values":[[1700000000.123,"1"],[1700000015,"0.5"]]}]}}"#,
        #"[1, -0, 2.5e-3, 1E+2, "a\u00e9\ud83d\ude00\n", true, false, null, {}, [], {"k": [{"x": 9223372036854775807}]}]"#,
        #"{"a b": "tab\there", "é": "€😀", "n": -9223372036854775808, "big": 123456789012345678901234567890}"#,
        "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]",
        #""\\\"\/\b\f\n\r\t\u0000\uFFFF""#,
    ]

    static let fragments: [[UInt8]] = [
        "\\u", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\"", "\\", "[", "]", "{", "}", ",", ":",
        "1e999", "-", "0.", "00", "99999999999999999999999", "1e-99999", "null", "tru", "\u{7}",
    ].map { Array($0.utf8) } + [[0xC0], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90], [0xFF], [0x80]]

    func mutate(_ doc: [UInt8], _ g: inout Generator) -> [UInt8] {
        var d = doc
        for _ in 0..<(1 + g.below(3)) {
            switch g.below(7) {
            case 0 where !d.isEmpty: d[g.below(d.count)] ^= UInt8(1 << g.below(8))
            case 1: d.insert(UInt8(truncatingIfNeeded: g.next()), at: g.below(d.count + 1))
            case 2 where !d.isEmpty: d.remove(at: g.below(d.count))
            case 3: d.insert(contentsOf: Self.fragments[g.below(Self.fragments.count)], at: g.below(d.count + 1))
            case 4 where !d.isEmpty: d.removeLast(g.below(d.count))  // truncate
            case 5:
                let n = g.below(1100)
                let open: UInt8 = g.below(2) == 0 ? 0x5B : 0x7B
                d.insert(contentsOf: [UInt8](repeating: open, count: n), at: g.below(d.count + 1))
            default:
                if !d.isEmpty { d[g.below(d.count)] = UInt8(truncatingIfNeeded: g.next()) }
            }
        }
        return d
    }

    @Test func millionMutatedInputs() throws {
        let seeds = Self.seeds.map { Array($0.utf8) }
        for s in seeds { #expect(parseError(bytes: s) == nil) }
        var g = Generator(state: 0x9E37_79B9_7F4A_7C15)
        var accepted = 0
        // Two workers of 500,000 each would need Sendable plumbing; one loop
        // is under ten seconds in a debug build.
        for i in 0..<1_000_000 {
            let input = mutate(seeds[i % seeds.count], &g)
            var r = Rewriter()
            let ok: Bool = input.withUnsafeBytes { buf in
                do {
                    try JSONParser.parse(buf, into: &r)
                    return true
                } catch let e as JSONError {
                    if e.offset < 0 || e.offset > buf.count || e.line < 1 || e.column < 1 {
                        Issue.record("bad error position \(e) for \(input)")
                    }
                    return false
                } catch {
                    Issue.record("unexpected error \(error)")
                    return false
                }
            }
            if ok {
                accepted += 1
                // What was accepted writes out as JSON that reads back the same.
                if i % 16 == 0 {
                    var again = Rewriter()
                    try JSONParser.parse(r.writer.bytes, into: &again)
                    #expect(again.writer.bytes == r.writer.bytes)
                }
            }
        }
        #expect(accepted > 1000, "the mutations should leave some documents valid")
    }
}
