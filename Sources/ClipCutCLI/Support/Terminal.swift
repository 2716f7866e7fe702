import Primitives
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Output helpers: results on stdout, messages and progress on stderr.
enum Terminal {
    /// Whether stderr is a terminal (progress bars redraw in place; otherwise plain lines).
    static var isInteractive: Bool { isatty(STDERR_FILENO) == 1 }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("clipcut: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    /// Redraws the current stderr line (terminals only).
    static func status(_ line: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
    }

    /// `12.3 MB`
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count), unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// `1:05` or `1:02:03`
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let total = Int(seconds.rounded())
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }

    /// Prints rows as aligned columns under `headers`.
    static func table(_ headers: [String], _ rows: [[String]]) {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        print(line(headers))
        for row in rows { print(line(row)) }
    }

    /// Prints a value as JSON on stdout.
    static func json(_ value: some Encodable) throws {
        print(String(decoding: try ConfigStore.encoder.encode(value), as: UTF8.self))
    }
}

/// Progress of a transfer: a bar with rate and ETA on a terminal, a plain line per step otherwise.
struct TransferProgress {
    let verb: String
    let total: Int64
    let startOffset: Int64
    let started = ContinuousClock.now
    private var lastStep = -1

    init(verb: String, total: Int64, startOffset: Int64) {
        self.verb = verb
        self.total = total
        self.startOffset = startOffset
    }

    mutating func update(_ done: Int64) {
        let elapsed = ContinuousClock.now - started
        let seconds = elapsed.seconds
        let rate = seconds > 0 ? Double(done - startOffset) / seconds : 0
        let percent = total > 0 ? Double(done) * 100 / Double(total) : 100
        if Terminal.isInteractive {
            let width = 24, filled = Int(Double(width) * percent / 100)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: max(0, width - filled))
            let eta = rate > 0 ? Terminal.duration(Double(total - done) / rate) : "?"
            Terminal.status(String(format: "%@ [%@] %3.0f%% %@ / %@  %@/s  ETA %@", verb, bar, percent,
                                   Terminal.bytes(done), Terminal.bytes(total), Terminal.bytes(Int64(rate)), eta))
        } else if Int(percent / 10) > lastStep {
            // Plain lines for logs and pipes: one per tenth of the way.
            lastStep = Int(percent / 10)
            Terminal.note("\(verb) \(done)/\(total) bytes (\(Int(percent))%)")
        }
    }

    func finish() {
        if Terminal.isInteractive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
