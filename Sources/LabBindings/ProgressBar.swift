import Glibc

/// labsh's one progress bar: a line on stderr for a person watching a long
/// job, redrawn in place and erased at the end. Terminal output belongs to
/// the bindings, not to the connectors: lab.http.parallel draws it for a
/// batch, and Lua (labsh.progress: restic, remote runs) for its own jobs.
final class ProgressBar {
    static let width = 30
    let fd: Int32
    /// Draw nothing before this many seconds (short jobs stay quiet), then
    /// at most every `interval` seconds.
    let quietFor: Double, interval: Double
    let begin = SysModule.clockSeconds(CLOCK_MONOTONIC)
    var lastDraw = -Double.infinity
    var drawn = false
    var lastText = ""

    init(fd: Int32 = 2, quietFor: Double = 0, interval: Double = 0) {
        self.fd = fd
        self.quietFor = quietFor
        self.interval = interval
    }

    /// Seconds since the bar was made.
    var elapsed: Double { SysModule.clockSeconds(CLOCK_MONOTONIC) - begin }

    /// "[#####.....]  50% text" at `fraction` (0...1); `final` draws even
    /// within the interval, so the last state shows.
    func update(_ fraction: Double, _ text: String, final: Bool = false) {
        let time = elapsed
        guard time >= quietFor, final || time - lastDraw >= interval else { return }
        let fraction = fraction.isNaN ? 0 : min(1, max(0, fraction))
        let filled = Int((fraction * Double(Self.width) + 0.5).rounded(.down))
        let percent = String(Int((fraction * 100).rounded(.down)))
        let line = "\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: Self.width - filled)
            + "] " + String(repeating: " ", count: max(0, 3 - percent.count)) + percent + "% " + text + "\u{1b}[K"
        guard line != lastText else { return }  // a terminal redraw costs more than this check
        lastDraw = time
        lastText = line
        write(line)
        drawn = true
    }

    /// Clears the bar's line, so what follows starts clean.
    func finish() {
        if drawn { write("\r\u{1b}[K") }
        drawn = false
        lastText = ""
    }

    private func write(_ text: String) {
        var copy = text
        copy.withUTF8 { buf in _ = Glibc.write(fd, buf.baseAddress, buf.count) }
    }
}
