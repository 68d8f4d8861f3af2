/// Connectors: talking to real systems (HTTP over libcurl, JSON, Prometheus
/// and friends) in Swift that knows nothing of Lua. LabBindings makes them
/// into Lua modules.
public enum Connectors {}
