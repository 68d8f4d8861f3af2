import LuaHost
public enum Shell { public static func main() { } }
