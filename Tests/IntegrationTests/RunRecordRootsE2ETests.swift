import Foundation
import MLOpsBasics
import Testing

/// `git mlops gc` and `fsck` keep what run records name, though Workspace knows nothing of them:
/// the commands hand Lineage's roots to it.
@Suite struct RunRecordRootsE2ETests {
    @Test func gcKeepsDataOnlyARunRecordNames() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        let model = randomBytes(600_000, seed: 31), metrics = Array("{\"acc\": 0.9}\n".utf8)
        try s.write(repo + "/model.bin", model)
        try s.write(repo + "/metrics.json", metrics)
        try s.ok(["git", "mlops", "add", "model.bin", "metrics.json"], in: repo)
        let modelPointer = try s.read(repo + "/model.bin.mlops"), metricsPointer = try s.read(repo + "/metrics.json.mlops")
        let modelID = ObjectID.hashing(model).hex, metricsID = ObjectID.hashing(metrics).hex
        // One id in a note on HEAD, one in a pending record; no commit or index names either.
        try s.ok(["git", "notes", "--ref=mlops", "add", "-m", "{\"outputs\":[{\"oid\":\"sha256:\(modelID)\"}]}", "HEAD"], in: repo)
        try s.write(repo + "/.git/mlops/runs/pending/1-run.json", "{\"metric_files\":[{\"oid\":\"sha256:\(metricsID)\"}]}\n")
        for f in ["model.bin", "model.bin.mlops", "metrics.json", "metrics.json.mlops"] { try FS.remove(repo + "/" + f) }

        let gc = try JSON.parse(try s.ok(["git", "mlops", "gc", "--json"], in: repo).stdout)
        #expect(gc["objects_removed"]?.int == 0, "\(gc)")
        #expect(try s.ok(["git", "mlops", "fsck"], in: repo).stdout.hasPrefix("ok: "))

        // The data is still there: the pointers check out again.
        try s.write(repo + "/model.bin.mlops", modelPointer)
        try s.write(repo + "/metrics.json.mlops", metricsPointer)
        try s.ok(["git", "mlops", "checkout"], in: repo)
        #expect(try s.read(repo + "/model.bin") == model && s.read(repo + "/metrics.json") == metrics)

        // Without the records, the same gc removes them.
        try s.ok(["git", "update-ref", "-d", "refs/notes/mlops"], in: repo)
        try FS.remove(repo + "/.git/mlops/runs/pending/1-run.json")
        for f in ["model.bin.mlops", "metrics.json.mlops"] { try FS.remove(repo + "/" + f) }
        let after = try JSON.parse(try s.ok(["git", "mlops", "gc", "--json"], in: repo).stdout)
        #expect((after["objects_removed"]?.int ?? 0) > 2, "\(after)")
    }
}
