// Embeds stdlib/ and scripts/ into the target at build time (labsh-embed).
import Foundation
import PackagePlugin

@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        var relative: [String] = []
        // schemas/*.json are embedded as text only, read when a connector needs them (lab.pve).
        for (dir, ext) in [("stdlib", "lua"), ("scripts", "lua"), ("schemas", "json")] {
            let base = root.appendingPathComponent(dir)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where url.pathExtension == ext {
                let path = url.standardizedFileURL.path
                relative.append(String(path.dropFirst(root.standardizedFileURL.path.count + 1)))
            }
        }
        relative.sort()
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedFiles.swift")
        return [.buildCommand(
            displayName: "Embedding \(relative.count) Lua and schema files",
            executable: try context.tool(named: "EmbedTool").url,
            arguments: [output.path, root.path] + relative,
            inputFiles: relative.map { root.appendingPathComponent($0) },
            outputFiles: [output])]
    }
}
