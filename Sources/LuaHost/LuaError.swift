import CLua
import CLuaShim

/// A Lua error that reached Swift: the error value (kept by reference, so
/// tables survive the round trip), its text and the traceback.
public struct LuaError: Error, CustomStringConvertible {
    public enum Kind: Sendable { case runtime, syntax, memory, handler, file }

    public let kind: Kind
    /// The error value as text (`__tostring` used when it has one).
    public let message: String
    public let traceback: String?
    /// The original error value; `nil` only for errors made on the Swift side.
    public let value: LuaRef?

    public init(kind: Kind, message: String, traceback: String? = nil, value: LuaRef? = nil) {
        self.kind = kind
        self.message = message
        self.traceback = traceback
        self.value = value
    }

    public var description: String { message }

    static func kind(ofStatus status: Int32) -> Kind {
        switch status {
        case LUA_ERRSYNTAX: return .syntax
        case LUA_ERRMEM: return .memory
        case LUA_ERRERR: return .handler
        case LH_ERRFILE: return .file
        default: return .runtime
        }
    }
}

/// What a Swift function bound into Lua throws to raise a Lua error. The
/// trampoline raises it after Swift has returned.
public enum LuaRaise: Error {
    /// `msg`, prefixed with the caller's position like `luaL_error`.
    case message(String)
    /// "bad argument #n to 'f' (msg)", Lua's own wording.
    case argument(Int32, String)
    /// An error object: a table with `kind`, `message` and context fields
    /// whose `__tostring` gives the message.
    case object(kind: String, message: String, fields: [String: LuaValue] = [:])
    /// Any Lua value, raised as it is.
    case value(LuaValue)
}
