// Suggestion ("did you mean") lives one layer down, in Spelling, so that
// LuaHost's options reader suggests with the same rule as the inventory.
@_exported import Spelling
