import Foundation
import MLOpsBasics

/// An AWS access key pair, with the session token of temporary credentials.
///
/// `description` never shows the secret or the token.
public struct S3Credentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String {
        "S3Credentials(\(accessKeyID), secret: <hidden>\(sessionToken == nil ? "" : ", session token: <hidden>"))"
    }

    /// Finds credentials the way the AWS CLI does, in this order:
    /// 1. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) from `environment`;
    /// 2. profile `AWS_PROFILE` (default `default`) in the shared credentials file,
    ///    `AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials` (`[NAME]` sections);
    /// 3. the same profile in the config file, `AWS_CONFIG_FILE` or `~/.aws/config`
    ///    (`[profile NAME]` sections, `[default]`).
    ///
    /// Keys are `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`.
    /// Throws an `MLOpsError` saying what was looked at and how to fix it.
    public static func resolve(environment: [String: String]) throws -> S3Credentials {
        func env(_ name: String) -> String? {
            guard let v = environment[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        let keyID = env("AWS_ACCESS_KEY_ID"), secret = env("AWS_SECRET_ACCESS_KEY")
        switch (keyID, secret) {
        case let (k?, s?):
            return S3Credentials(accessKeyID: k, secretAccessKey: s, sessionToken: env("AWS_SESSION_TOKEN"))
        case (_?, nil):
            throw MLOpsError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
                             hint: "set both, or unset AWS_ACCESS_KEY_ID to use a profile from ~/.aws/credentials")
        case (nil, _?):
            throw MLOpsError("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
                             hint: "set both, or unset AWS_SECRET_ACCESS_KEY to use a profile from ~/.aws/credentials")
        case (nil, nil):
            break
        }

        let profile = env("AWS_PROFILE") ?? env("AWS_DEFAULT_PROFILE") ?? "default"
        let home = env("HOME") ?? FileManager.default.homeDirectoryForCurrentUser.path
        let credentialsFile = env("AWS_SHARED_CREDENTIALS_FILE") ?? home + "/.aws/credentials"
        let configFile = env("AWS_CONFIG_FILE") ?? home + "/.aws/config"

        var looked: [String] = []
        for (path, section) in [(credentialsFile, profile),
                                (configFile, profile == "default" ? "default" : "profile " + profile)] {
            guard let text = try? FS.readText(path) else { continue }
            looked.append(path)
            guard let values = iniSection(text, named: section) else { continue }
            let k = values["aws_access_key_id"], s = values["aws_secret_access_key"]
            if let k, let s, !k.isEmpty, !s.isEmpty {
                let token = values["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
                return S3Credentials(accessKeyID: k, secretAccessKey: s, sessionToken: token)
            }
            if k != nil || s != nil {
                throw MLOpsError("\(path): profile '\(profile)' needs both aws_access_key_id and aws_secret_access_key",
                                 hint: "add the missing key to [\(section)]")
            }
        }
        let wherePart = looked.isEmpty ? "no \(credentialsFile)" : "no profile '\(profile)' in \(looked.joined(separator: " or "))"
        throw MLOpsError("no AWS credentials found (AWS_ACCESS_KEY_ID is not set and \(wherePart))",
                         hint: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add [\(profile)] with aws_access_key_id and aws_secret_access_key to \(credentialsFile)"
                             + (env("AWS_PROFILE") == nil ? " (or choose another profile with AWS_PROFILE)" : ""))
    }

    /// The `key = value` pairs of one `[section]` of an INI file (keys lower-cased), nil if absent.
    /// Comments start with `#` or `;`; indented lines (nested settings) are ignored.
    static func iniSection(_ text: String, named wanted: String) -> [String: String]? {
        var current: String?
        var found: [String: String]?
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            if raw.first == " " || raw.first == "\t" { continue }
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                current = name
                if name == wanted, found == nil { found = [:] }
                continue
            }
            guard current == wanted, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if let hash = value.range(of: " #") ?? value.range(of: " ;") {
                value = String(value[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces)
            }
            found?[key] = value
        }
        return found
    }
}
