import Foundation

/// Accuracy, and precision, recall and F1 per class and macro-averaged, as scikit-learn computes them
/// (`average="macro"` over every class that occurs as a label or a prediction; 0 where a ratio has
/// nothing to divide by).
struct ClassificationMetrics: Equatable {
    /// Per-class figures reported, by support (the largest classes).
    static let maxReported = 50

    struct PerClass: Equatable {
        var label: String
        var precision: Double
        var recall: Double
        var f1: Double
        /// Labels of this class.
        var support: Int64
    }

    var accuracy: Double
    var macroPrecision: Double
    var macroRecall: Double
    var macroF1: Double
    /// Largest support first, then by label.
    var perClass: [PerClass]

    init(_ c: ClassCounts) {
        var rows: [PerClass] = []
        func row(_ label: String, tp: Int64, predicted: Int64, actual: Int64) {
            let p = predicted > 0 ? Double(tp) / Double(predicted) : 0
            let r = actual > 0 ? Double(tp) / Double(actual) : 0
            rows.append(PerClass(label: label, precision: p, recall: r, f1: p + r > 0 ? 2 * p * r / (p + r) : 0, support: actual))
        }
        for i in 0..<c.truePositives.count where c.predicted[i] > 0 || c.actual[i] > 0 {
            row(c.classes.label(i), tp: c.truePositives[i], predicted: c.predicted[i], actual: c.actual[i])
        }
        if c.overflowed { row("(other)", tp: c.otherCorrect, predicted: c.otherPredicted, actual: c.otherActual) }
        let k = Double(max(rows.count, 1))
        accuracy = c.pairs > 0 ? Double(c.correct) / Double(c.pairs) : 0
        macroPrecision = rows.reduce(0) { $0 + $1.precision } / k
        macroRecall = rows.reduce(0) { $0 + $1.recall } / k
        macroF1 = rows.reduce(0) { $0 + $1.f1 } / k
        perClass = rows.sorted { $0.support != $1.support ? $0.support > $1.support : $0.label < $1.label }
    }
}

/// Root mean squared error and mean absolute error.
struct RegressionMetrics: Equatable {
    var rmse: Double
    var mae: Double

    init(_ s: RegressionSums) {
        rmse = s.n > 0 ? (s.squared / Double(s.n)).squareRoot() : 0
        mae = s.n > 0 ? s.absolute / Double(s.n) : 0
    }
}
