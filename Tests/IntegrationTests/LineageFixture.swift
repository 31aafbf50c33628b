import Foundation
import MLOpsBasics
import Testing

/// A small, deterministic two-stage pipeline: a Python prepare stage that shuffles and splits a CSV
/// into .npy files, and a Python train stage (numpy gradient descent) that writes a model and metrics.
enum LineageFixture {
    static let paramsReader = #"""
        def params(section):
            # Enough YAML for params.yaml: `section:` then `  key: number` lines.
            out, cur = {}, None
            for line in open("params.yaml"):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                if not line.startswith(" "):
                    cur = line.split(":")[0].strip()
                    continue
                k, v = line.strip().split(":", 1)
                if cur == section:
                    out[k.strip()] = float(v) if "." in v else int(v)
            return out

        """#

    static let prepare = "import os\nimport numpy as np\n\n" + paramsReader + #"""
        p = params("prepare")
        raw = np.loadtxt("data/raw.csv", delimiter=",", skiprows=1)
        idx = np.random.default_rng(p["seed"]).permutation(len(raw))
        cut = int(len(raw) * p["split"])
        os.makedirs("data/prepared", exist_ok=True)
        np.save("data/prepared/train.npy", raw[idx[:cut]])
        np.save("data/prepared/test.npy", raw[idx[cut:]])
        print(f"prepared {cut} train rows, {len(raw) - cut} test rows")

        """#

    static let train = "import json\nimport numpy as np\n\n" + paramsReader + #"""
        p = params("train")
        tr, te = np.load("data/prepared/train.npy"), np.load("data/prepared/test.npy")
        X, y = tr[:, :-1], tr[:, -1]
        w = np.zeros(X.shape[1])
        for _ in range(p["epochs"]):
            w -= p["lr"] * (2 / len(y)) * X.T @ (X @ w - y)
        np.save("model.npy", w)
        mse = float(np.mean((te[:, :-1] @ w - te[:, -1]) ** 2))
        with open("metrics.json", "w") as f:
            json.dump({"mse": round(mse, 6), "epochs": p["epochs"]}, f, indent=2, sort_keys=True)
        print(f"trained {p['epochs']} epochs")

        """#

    static func params(lr: String = "0.1", epochs: Int = 20) -> String {
        "prepare:\n  seed: 7\n  split: 0.8\ntrain:\n  lr: \(lr)\n  epochs: \(epochs)\n"
    }

    /// 200 rows of y = 2a - b + c/2 + noise, from a fixed seed.
    static func rawCSV(rows: Int = 200) -> String {
        let r = randomBytes(rows * 8, seed: 42)
        var s = "a,b,c,y\n"
        for i in 0..<rows {
            func v(_ k: Int) -> Double { Double(Int(r[i * 8 + k]) * 256 + Int(r[i * 8 + k + 1])) / 32767.5 - 1 }
            let a = v(0), b = v(2), c = v(4), noise = (Double(r[i * 8 + 6]) - 127.5) / 1275
            s += String(format: "%.4f,%.4f,%.4f,%.4f\n", a, b, c, 2 * a - b + 0.5 * c + noise)
        }
        return s
    }

    /// A repository with the pipeline declared (by `stage add`), the raw data added, hooks installed,
    /// and all of it committed. Nothing has run yet.
    static func makeRepo(_ s: Sandbox, _ name: String = "repo") throws -> String {
        let repo = try s.makeRepo(name)
        try s.write(repo + "/prepare.py", prepare)
        try s.write(repo + "/train.py", train)
        try s.write(repo + "/params.yaml", params())
        try s.write(repo + "/data/raw.csv", rawCSV())
        try s.ok(["git", "mlops", "add", "data/raw.csv"], in: repo)
        try s.ok(["git", "mlops", "stage", "add", "-n", "prepare", "-d", "prepare.py", "-d", "data/raw.csv",
                  "-p", "prepare.seed", "-p", "prepare.split", "-o", "data/prepared", "--", "python3", "prepare.py"], in: repo)
        try s.ok(["git", "mlops", "stage", "add", "-n", "train", "-d", "train.py", "-d", "data/prepared",
                  "-p", "train.lr", "-p", "train.epochs", "-o", "model.npy", "-m", "metrics.json", "--", "python3", "train.py"], in: repo)
        try s.ok(["git", "mlops", "hooks", "install"], in: repo)
        try s.ok(["git", "add", "-A"], in: repo)
        try s.ok(["git", "commit", "-qm", "pipeline"], in: repo)
        return repo
    }
}

extension Sandbox {
    /// `git rev-parse REV` in `repo`.
    func rev(_ repo: String, _ rev: String = "HEAD") throws -> String {
        try ok(["git", "rev-parse", rev], in: repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Names of the files waiting in `.git/mlops/runs/pending`.
    func pendingRuns(_ repo: String) -> [String] {
        ((try? FS.listDirectory(repo + "/.git/mlops/runs/pending")) ?? []).map(\.name).sorted()
    }
}

/// Output with what changes from run to run replaced: durations (`X s`), run ids (`RUN`) and the
/// given commits (by name).
func normalized(_ text: String, commits: [String: String] = [:]) -> String {
    var t = text
    for (name, hex) in commits {
        t = t.replacingOccurrences(of: hex, with: name).replacingOccurrences(of: String(hex.prefix(10)), with: name)
    }
    t = t.replacing(try! Regex(#"\d+\.\d+ s\b"#), with: "X s")
    t = t.replacing(try! Regex(#"run [0-9a-f]{12,16}\b"#), with: "run RUN")
    t = t.replacing(try! Regex(#"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"#), with: "DATE")
    return t
}
