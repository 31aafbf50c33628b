import Foundation
import MLOpsBasics
import Testing

@Suite struct ProfileE2ETests {
    @Test func profilePrintsATablePerFileAndTheMerge() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo()
        try s.write(repo + "/data/a.csv", """
            id,city,price,when,ok
            1,Berlin,2.5,2024-01-01,true
            2,"Paris, FR",,2024-01-02T12:00:00Z,false
            3,Berlin,4.25,2024-01-03,true

            """)
        try s.write(repo + "/data/b.jsonl", "{\"id\": 4, \"city\": \"Oslo\", \"price\": 10}\n")
        try s.write(repo + "/data/notes.txt", "not a table\n")
        let one = try s.ok(["git", "mlops", "profile", "data/a.csv"], in: repo)
        #expect(one.stdout == """
            data/a.csv: 3 rows, 5 columns, 123 B (csv)
            column  type      nulls  distinct  min                   max                   mean                  std      median                top
            id      int       0      3         1                     3                     2                     1        2
            city    string    0      2                                                                                                          Berlin (2)
            price   float?    1      2         2.5                   4.25                  3.375                 1.23744  2.5
            when    datetime  0      3         2024-01-01T00:00:00Z  2024-01-03T00:00:00Z  2024-01-02T04:00:00Z           2024-01-02T12:00:00Z
            ok      bool      0      2                                                     0.666667              0.57735                        true (2)

            """)
        #expect(one.stderr == "")

        let dir = try s.ok(["git", "mlops", "profile", "data"], in: repo).stdout
        #expect(dir.hasPrefix("data/a.csv: 3 rows"))
        #expect(dir.contains("\ndata/b.jsonl: 1 row, 3 columns, 39 B (jsonl)\n"))
        #expect(dir.contains("\nmerged (2 files): 4 rows, 5 columns, 162 B (mixed)\n"))
        #expect(!dir.contains("notes.txt"))

        let json = try JSON.parse(try s.ok(["git", "mlops", "profile", "data", "--json"], in: repo).stdout)
        let a = json["files"]?["data/a.csv"]
        #expect(a?["profile"]?.int == 1 && a?["rows"]?.int == 3 && a?["format"]?.string == "csv")
        let price = a?["columns"]?.array?.first { $0["name"]?.string == "price" }
        #expect(price?["type"]?.string == "float" && price?["nulls"]?.int == 1 && price?["numeric"]?["max"]?.double == 4.25)
        #expect(json["merged"]?["rows"]?.int == 4 && json["merged"]?["files"]?.int == 2)
        let merged = json["merged"]?["columns"]?.array?.first { $0["name"]?.string == "id" }
        #expect(merged?["numeric"]?["intMax"]?.int == 4)
    }

    @Test func compressedAndNumpyFiles() throws {
        let s = try Sandbox()
        let dir = s.root + "/w"
        try FS.mkdirs(dir)
        try s.write(dir + "/t.csv", "a,b\n1,x\n2,y\n")
        try s.ok(["gzip", "-k", "t.csv"], in: dir)
        let gz = try s.ok(["git", "mlops", "profile", "t.csv.gz"], in: dir).stdout
        #expect(gz.hasPrefix("t.csv.gz: 2 rows, 2 columns, "))
        #expect(gz.contains("\na       int     0      2         1    2    1.5   0.707107  1\n"))
        try s.ok(["python3", "-c", "import numpy as np; np.save('m.npy', np.arange(6, dtype='>f4').reshape(3, 2))"], in: dir)
        let npy = try s.ok(["git", "mlops", "profile", "m.npy"], in: dir).stdout
        #expect(npy.hasPrefix("m.npy: 3 rows, 2 columns, 152 B (npy)\n"))
        #expect(npy.contains("\n1       float  0      ~3        1    5    3     2    3\n"))
    }

    @Test func badInputIsOneErrorLineAndExitOne() throws {
        let s = try Sandbox()
        let dir = s.root + "/w"
        try FS.mkdirs(dir)
        var ragged = "a,b,c\n"
        for i in 0..<1232 { ragged += "\(i),x,y\n" }
        ragged += "1,2\n"
        try s.write(dir + "/data.csv", ragged)
        try s.write(dir + "/empty.csv", "")
        try s.write(dir + "/broken.jsonl", "{\"a\": 1}\n{\"a\": }\n")
        var header = Array("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 3), }".utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        try s.write(dir + "/lying.npy", [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0] + header + [UInt8](repeating: 0, count: 64))
        let cases: [(String, String)] = [
            ("data.csv", "error: data.csv:1234: row has 2 fields, the header has 3; fix the row, or quote fields that contain ','\n"),
            ("empty.csv", "error: empty.csv: the file is empty; profile a file with a header row and data, or remove it\n"),
            ("broken.jsonl", "error: broken.jsonl:2: invalid JSON at byte 7 of the line: expected a value; fix or remove the line; each line must be one JSON object\n"),
            ("lying.npy", "error: lying.npy: not a valid .npy file: the header promises [1000000, 3] of 8-byte items (24000000 bytes of data), but the file holds 64; write it again with numpy.save\n"),
            ("missing.csv", "error: missing.csv: no such file or directory; check the path\n"),
        ]
        for (file, message) in cases {
            let r = try s.run(["git", "mlops", "profile", file], in: dir)
            #expect(r.status == 1 && r.stdout == "" && r.stderr == message, "\(file): \(r)")
        }
    }

    /// A 100 MB line is refused at the record limit, without reading it into memory.
    @Test func aHugeLineIsRefusedWithBoundedMemory() throws {
        let s = try Sandbox()
        let dir = s.root + "/w"
        try FS.mkdirs(dir)
        let fd = try FileDescriptor.open(dir + "/huge.csv", O_WRONLY | O_CREAT | O_TRUNC)
        try fd.writeAll(Array("a,b\n1,2\n".utf8))
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<100 { try fd.writeAll(chunk) }
        try fd.writeAll(Array(",1\n".utf8))
        fd.close()
        // python3 reports the child's peak resident set (ru_maxrss, KiB) after it exits.
        let r = try s.run(["python3", "-c", """
            import resource, subprocess, sys
            p = subprocess.run(['git', 'mlops', 'profile', 'huge.csv'], capture_output=True, text=True)
            print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            sys.stderr.write(p.stderr)
            """], in: dir)
        let fields = r.stdout.split(separator: " ").map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
        #expect(fields.first == 1, "\(r)")
        #expect(r.stderr == "error: huge.csv:3: a record is longer than 16.0 MiB, the limit; check for an unclosed quote or a missing line end, or split the record\n")
        #expect(fields.count == 2 && fields[1] > 0 && fields[1] < 120 * 1024, "peak RSS \(fields.last ?? -1) KiB for a 100 MiB line")
    }
}
