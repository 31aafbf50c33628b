import ArgumentParser
import MLOpsBasics
import Workspace

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Store files or directories in the cache and track them with PATH.mlops pointers.")

    @Argument(help: "Files or directories to track.")
    var paths: [String]

    @OptionGroup var output: JSONOption

    func validate() throws {
        if paths.isEmpty { throw ValidationError("name at least one file or directory to add") }
    }

    func run() throws {
        let repo = try Repo.open()
        let results = try repo.add(paths)
        let stored = results.reduce(Int64(0)) { $0 + $1.bytesStored }
        if output.json {
            printJSON(.object([
                "added": .array(results.map { r in
                    .object(["path": .string(r.path), "oid": .string("sha256:" + r.pointer.id.hex),
                             "size": JSON(r.pointer.size), "type": .string(r.pointer.kind.rawValue),
                             "files": r.pointer.files.map { JSON($0) } ?? .null])
                }),
                "bytes_stored": JSON(stored),
            ]))
            return
        }
        for r in results {
            let files = r.pointer.files.map { ", \($0) files" } ?? ""
            print("added \(r.path) (\(formatBytes(r.pointer.size))\(files))")
        }
        print("\(formatBytes(stored)) new in the cache")
        let toStage = results.map { $0.path + ".mlops" }.joined(separator: " ")
        print("hint: git add \(toStage) and the .gitignore files beside them")
    }
}
