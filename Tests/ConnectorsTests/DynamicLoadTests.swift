import CDynamicLoad
import XCTest

/// The one loader both shims (libcurl, libsqlite3) open their library with:
/// what it says when a library or a function is missing, and that it
/// decides once.
final class DynamicLoadTests: XCTestCase {
    /// `names` looked up in `soname` into a scratch table, `ready` after.
    private func load(_ soname: String, _ names: [String], need: String = "",
                      ready: (@convention(c) (UnsafeMutablePointer<CChar>?, Int) -> Int32)? = nil,
                      times: Int = 1) -> (results: [Int32], error: String) {
        let cNames = names.map { strdup($0) }
        defer { cNames.forEach { free($0) } }
        let slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: max(1, names.count))
        defer { slots.deallocate() }
        let texts: [String] = [soname, "apt-get install it", need]
        let strings = texts.map { strdup($0) }
        defer { strings.forEach { free($0) } }
        let library = UnsafeMutablePointer<dynamic_library>.allocate(capacity: 1)
        defer { library.deallocate() }
        library.initialize(to: dynamic_library())  // zeroed: an unlocked mutex, not tried yet
        var results: [Int32] = []
        cNames.map { UnsafePointer($0) }.withUnsafeBufferPointer { namesBuffer in
            library.pointee.soname = UnsafePointer(strings[0])
            library.pointee.install = UnsafePointer(strings[1])
            library.pointee.need = UnsafePointer(strings[2])
            library.pointee.names = namesBuffer.baseAddress
            library.pointee.slots = slots
            library.pointee.count = names.count
            library.pointee.ready = ready
            for _ in 0..<times { results.append(dynamic_library_load(library)) }
        }
        let error = withUnsafeBytes(of: &library.pointee.error) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        return (results, error)
    }

    func testAMissingLibraryIsNamedWithHowToInstallIt() {
        let (results, error) = load("libnot-a-labsh-library.so.9", ["f"])
        XCTAssertEqual(results, [0])
        XCTAssertTrue(error.hasPrefix("libnot-a-labsh-library.so.9 not found: apt-get install it ("), error)
    }

    func testAMissingFunctionIsNamedWithWhatIsNeeded() {
        let (results, error) = load("libsqlite3.so.0", ["sqlite3_open_v2", "sqlite3_no_such_function"],
                                    need: "(a newer one)")
        XCTAssertEqual(results, [0])
        XCTAssertEqual(error, "libsqlite3.so.0 lacks sqlite3_no_such_function (a newer one)")
    }

    func testReadyRunsOnceAndItsRefusalStands() {
        readyCalls = 0
        let (results, error) = load("libsqlite3.so.0", ["sqlite3_open_v2"], ready: { error, size in
            readyCalls += 1
            _ = strncpy(error!, "init failed", size)
            return 0
        }, times: 3)
        XCTAssertEqual(results, [0, 0, 0])
        XCTAssertEqual(error, "init failed")
        XCTAssertEqual(readyCalls, 1)
    }

    func testALibraryWithEveryFunctionLoadsOnce() {
        readyCalls = 0
        let (results, error) = load("libsqlite3.so.0", ["sqlite3_open_v2", "sqlite3_close_v2"], ready: { _, _ in
            readyCalls += 1
            return 1
        }, times: 2)
        XCTAssertEqual(results, [1, 1])
        XCTAssertEqual(error, "")
        XCTAssertEqual(readyCalls, 1)
    }
}

private var readyCalls = 0
