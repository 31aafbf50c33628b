import MLOpsBasics
import Testing

@Suite struct TuningTests {
    @Test func environmentVariablesSetEachKnob() {
        let t = Tuning(environment: ["GIT_MLOPS_THREADS": "3", "GIT_MLOPS_PACK_SIZE": "1048576",
                                     "GIT_MLOPS_DIRECT_IO": "0", "GIT_MLOPS_RETRIES": "2"])
        #expect(t == Tuning(threads: 3, packSize: 1 << 20, directIO: false, retries: 2))
    }

    @Test func withoutVariablesTheDefaultsHold() {
        let t = Tuning(environment: [:])
        #expect(t.threads >= 1)
        #expect(t.packSize == 64 << 20)
        #expect(t.directIO)
        #expect(t.retries == 5)
    }

    /// A value that does not parse, or is out of range, is ignored rather than trusted.
    @Test(arguments: [
        ("GIT_MLOPS_THREADS", "0"), ("GIT_MLOPS_THREADS", "-2"), ("GIT_MLOPS_THREADS", "many"),
        ("GIT_MLOPS_PACK_SIZE", "4095"), ("GIT_MLOPS_PACK_SIZE", "64M"), ("GIT_MLOPS_RETRIES", "0"),
        ("GIT_MLOPS_DIRECT_IO", "no"),
    ])
    func badValuesAreIgnored(_ key: String, _ value: String) {
        #expect(Tuning(environment: [key: value]) == Tuning(environment: [:]))
    }
}
