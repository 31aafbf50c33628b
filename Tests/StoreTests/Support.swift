import Foundation
import MLOpsBasics
@testable import Store
@_exported import TestSupport

func write(_ bytes: [UInt8], to path: String) {
    try! FS.mkdirs(dirname(path))
    try! FS.writeAtomic(path, bytes, durable: false)
}
