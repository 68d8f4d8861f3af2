#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on a terminal for a batch of requests: drawn only
/// once the batch has taken a second (short batches stay quiet), redrawn at
/// most every 100 ms, erased at the end.
public final class HTTPProgressBar {
    let fd: Int32
    let begin = now()
    var lastDraw = 0.0
    var drawn = false
    var lastText = ""

    public init(fd: Int32 = 2) { self.fd = fd }

    public func update(done: Int, total: Int) {
        let time = now()
        guard time - begin >= 1, time - lastDraw >= 0.1 || done == total else { return }
        lastDraw = time
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let text = "\r[\(bar)] \(done)/\(total) requests, \(Int(time - begin)) s\u{1b}[K"
        guard text != lastText else { return }  // a terminal redraw costs more than this check
        lastText = text
        write(text)
        drawn = true
    }

    public func finish() {
        if drawn { write("\r\u{1b}[K") }
        drawn = false
    }

    private func write(_ text: String) {
        var copy = text
        copy.withUTF8 { buf in _ = Glibc.write(fd, buf.baseAddress, buf.count) }
    }
}
