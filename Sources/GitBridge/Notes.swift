import CLibGit2
import MLOpsBasics

extension GitRepository {
    /// The note text attached to `commit` under `ref` (e.g. `refs/notes/mlops`), nil when none.
    public func note(ref: String, on commit: GitOID) -> String? {
        var o = commit.raw
        var note: OpaquePointer?
        guard git_note_read(&note, handle, ref, &o) == 0 else { return nil }
        defer { git_note_free(note) }
        return git_note_message(note).map { String(cString: $0) }
    }

    /// Replaces the note on `commit`. Callers serialise read-modify-write with a lock of their own.
    public func setNote(ref: String, on commit: GitOID, text: String) throws {
        let sig = try signature()
        defer { git_signature_free(UnsafeMutablePointer(sig)) }
        var o = commit.raw
        var out = git_oid()
        let s = UnsafePointer<git_signature>(UnsafeMutablePointer(sig))
        try check(git_note_create(&out, handle, ref, s, s, &o, text, 1), "git_note_create")
    }

    /// Every (annotated commit, note text) under `ref`.
    public func notes(ref: String) throws -> [(commit: GitOID, text: String)] {
        final class Box { var pairs: [(GitOID, GitOID)] = [] }
        let box = Box()
        let rc = git_note_foreach(handle, ref, { blob, annotated, payload in
            let b = Unmanaged<Box>.fromOpaque(payload!).takeUnretainedValue()
            b.pairs.append((GitOID(blob!), GitOID(annotated!)))
            return 0
        }, Unmanaged.passUnretained(box).toOpaque())
        if rc == GIT_ENOTFOUND.rawValue { return [] }
        try check(rc, "git_note_foreach")
        return try box.pairs.compactMap { blob, commit in
            guard let bytes = try readBlob(blob, atMost: DocumentLimits.maxNoteBytes) else {
                Terminal.warn("\(ref): the note on \(commit.short) is over \(DocumentLimits.describe(bytes: DocumentLimits.maxNoteBytes)) and was skipped; remove it with `git notes --ref=\(ref) remove \(commit.short)`")
                return nil
            }
            return (commit, String(decoding: bytes, as: UTF8.self))
        }
    }

    /// The commit a reference points at, nil when it does not exist.
    public func referenceTarget(_ name: String) -> GitOID? {
        var o = git_oid()
        guard git_reference_name_to_id(&o, handle, name) == 0 else { return nil }
        return GitOID(o)
    }
}
