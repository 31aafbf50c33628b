import Foundation
import MLOpsBasics

extension Values {
    /// `display(v)`, with fractional numbers rounded to `precision` decimal places (`--precision`);
    /// trailing zeros go, whole numbers and other values stay as they are.
    public static func display(_ v: JSON?, precision: Int?) -> String {
        guard let precision, case .double(let d)? = v, d.isFinite, d != d.rounded() else { return display(v) }
        var s = String(format: "%.\(min(max(precision, 0), 17))f", d)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s == "-0" ? "0" : s
    }
}
