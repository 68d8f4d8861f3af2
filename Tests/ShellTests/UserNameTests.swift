import Foundation
import Testing
@testable import LabBindings

/// The audit log's user name read from /etc/passwd where nsswitch.conf asks
/// `files` first: the same answer getpwuid gives, or none (getpwuid then).
@Suite struct UserNameTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func filesFirstOnlyWhenThePasswdLineSaysSo() {
        #expect(UserName.asksFilesFirst(bytes("# comment\npasswd:         files systemd\ngroup: files\n")))
        #expect(UserName.asksFilesFirst(bytes("passwd:\tfiles\n")))
        #expect(UserName.asksFilesFirst(bytes("  passwd: files # then nothing\n")))
        #expect(!UserName.asksFilesFirst(bytes("passwd: sss files\n")))
        #expect(!UserName.asksFilesFirst(bytes("passwd: compat\n")))
        #expect(!UserName.asksFilesFirst(bytes("passwd: files [SUCCESS=continue] ldap\n")))
        #expect(!UserName.asksFilesFirst(bytes("passwd: files\npasswd: ldap files\n")), "two lines: not guessed")
        #expect(!UserName.asksFilesFirst(bytes("group: files\n")), "no passwd line: glibc's default")
        #expect(!UserName.asksFilesFirst(bytes("# passwd: files\n")))
        #expect(!UserName.asksFilesFirst(bytes("passwd:files\n")))
        #expect(!UserName.asksFilesFirst([]))
    }

    @Test func theFirstEntryOfTheUidIsItsName() {
        let passwd = bytes("root:x:0:0:root:/root:/bin/bash\n\n# ops\n  alice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n")
        #expect(UserName.name(of: 0, inPasswd: passwd) == "root")
        #expect(UserName.name(of: 1000, inPasswd: passwd) == "alice")
        #expect(UserName.name(of: 4242, inPasswd: passwd) == nil)
        #expect(UserName.name(of: 5, inPasswd: bytes("odd:x:5:5:a \u{1b}[31m:/:/bin/sh\n")) == "odd")
    }

    @Test func aLineItMightReadOtherwiseLeavesItToGetpwuid() {
        #expect(UserName.name(of: 1000, inPasswd: bytes("+@admins:::::::\nalice:x:1000:1000::/:/bin/sh\n")) == nil)
        #expect(UserName.name(of: 1000, inPasswd: bytes("-bob\nalice:x:1000:1000::/:/bin/sh\n")) == nil)
        #expect(UserName.name(of: 1000, inPasswd: bytes("broken:x:1000\nalice:x:1000:1000::/:/bin/sh\n")) == nil)
        #expect(UserName.name(of: 1000, inPasswd: bytes("x:x: 7:1::/:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n")) == nil)
        #expect(UserName.name(of: 1000, inPasswd: bytes(":x:1000:1000::/:/bin/sh\n")) == nil)
        #expect(UserName.name(of: 7, inPasswd: bytes("big:x:99999999999:1::/:/bin/sh\n")) == nil)
    }

    @Test func onThisMachineItIsWhatIdSays() throws {
        let id = Process()
        id.executableURL = URL(fileURLWithPath: "/usr/bin/id")
        id.arguments = ["-un"]
        let out = Pipe()
        id.standardOutput = out
        try id.run()
        id.waitUntilExit()
        let name = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(UserName.effective() == name.trimmingCharacters(in: .newlines))
    }
}
