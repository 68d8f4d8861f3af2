// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "labsh",
    products: [
        .executable(name: "labsh", targets: ["labsh"]),
    ],
    targets: [
        // System libraries, found with pkg-config where they ship a .pc file.
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4",
                       providers: [.apt(["liblua5.4-dev"])]),
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"])]),

        // The little C that Swift must not do itself (see DESIGN.md, "one rule for errors").
        .target(name: "CLuaShim", dependencies: ["CLua"],
                linkerSettings: [.linkedLibrary("lua5.4")]),
        // readline driven from a poll loop so Ctrl-C can clear a line or stop code.
        .target(name: "CLineEdit", dependencies: ["CReadline"],
                linkerSettings: [.linkedLibrary("readline")]),

        // "Did you mean": one rule for the model's errors and the bindings'.
        .target(name: "Spelling"),
        .target(name: "LuaHost", dependencies: ["CLua", "CLuaShim", "Spelling"],
                linkerSettings: [.linkedLibrary("m")]),
        // The pure Swift model of the homelab: no Lua, no Foundation.
        .target(name: "Homelab", dependencies: ["Spelling"]),
        // Shared libraries through dlopen on first use: labsh does not link them (start-up).
        .target(name: "CDynamicLoad", linkerSettings: [.linkedLibrary("dl")]),
        // libcurl that way.
        .target(name: "CCurlShim", dependencies: ["CDynamicLoad"]),
        // Talking to real systems (HTTP, JSON, Prometheus...): no Lua here.
        // libsqlite3 the same way, for the job history only.
        .target(name: "CSQLiteShim", dependencies: ["CDynamicLoad"]),
        .target(name: "Connectors", dependencies: ["CCurlShim", "CSQLiteShim"]),
        .target(name: "LabBindings", dependencies: ["LuaHost", "Homelab", "Connectors", "CLua", "CLuaShim"],
                plugins: ["EmbedFiles"]),
        .target(name: "Shell", dependencies: ["LuaHost", "LabBindings", "Connectors", "CLineEdit", "CLuaShim"]),
        .executableTarget(name: "labsh", dependencies: ["Shell"]),

        // Build-time embedding of stdlib/ and scripts/ into the binary.
        .executableTarget(name: "EmbedTool", dependencies: ["CLua"], path: "Sources/EmbedTool"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["EmbedTool"]),

        .testTarget(name: "LuaHostTests", dependencies: ["LuaHost", "CLuaShim"]),
        .testTarget(name: "ShellTests", dependencies: ["Shell", "LabBindings", "LuaHost"]),
        .testTarget(name: "HomelabTests", dependencies: ["Homelab"]),
        .testTarget(name: "ConnectorsTests", dependencies: ["Connectors"]),
    ],
    swiftLanguageModes: [.v5]
)
