/// A JSON document that cannot be read, or a value that cannot be written:
/// what was wrong and where. `offset` counts bytes from 0; `line` and
/// `column` count from 1, the column in characters (UTF-8 sequences).
public struct JSONError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var line: Int
    public var column: Int

    public init(_ message: String, offset: Int = 0, line: Int = 0, column: Int = 0) {
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// An error at `offset` of `input`, with its line and column worked out
    /// (only on failure: the happy path never counts lines).
    public init(_ message: String, at offset: Int, in input: UnsafeRawBufferPointer) {
        var line = 1, column = 1
        for i in 0..<min(offset, input.count) {
            let c = input[i]
            if c == 0x0A {
                line += 1
                column = 1
            } else if c & 0xC0 != 0x80 {  // continuation bytes do not start a character
                column += 1
            }
        }
        self.init(message, offset: offset, line: line, column: column)
    }

    /// "json: expected ',' or '}' at line 3, column 7 (byte 41)": the byte is
    /// counted from 1, as Lua's string functions count.
    public var description: String {
        line == 0 ? "json: \(message)" : "json: \(message) at line \(line), column \(column) (byte \(offset + 1))"
    }
}
