import MLOpsBasics

/// The first line of a manifest or profile object, `NAME VERSION`. A later version of the same name is
/// not damage: a newer git-mlops wrote it, and the fix is to upgrade, not to fetch it again.
enum FormatHeader {
    /// The error for `line` when it is `header`'s name with a higher version, else nil.
    static func newer(_ line: some StringProtocol, than header: String, what: String) -> MLOpsError? {
        let ours = header.split(separator: " "), theirs = line.split(separator: " ")
        guard theirs.count == 2, ours.count == 2, theirs[0] == ours[0],
              let v = Int(theirs[1]), let mine = Int(ours[1]), v > mine else { return nil }
        return MLOpsError("\(what) was made by a newer git-mlops (\(ours[0]) version \(v); this one reads version \(mine))",
                          hint: "upgrade git-mlops to read it")
    }
}
