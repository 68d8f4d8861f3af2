import Testing
@testable import Connectors
#if canImport(Glibc)
import Glibc
#endif

// ProcessSpec.inheritedFD: how lab.job hands a run's lock to the child that
// does the work (Tests/lua/jobs_trust_spec.lua covers the job side).

@Test func theInheritedDescriptorIsTheProgramsFD3() throws {
    let path = "/tmp/labsh-inherited-fd-\(getpid())"
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    #expect(fd >= 0)
    defer { close(fd); unlink(path) }
    var spec = ProcessSpec(argv: ["/bin/sh", "-c", "readlink /proc/$$/fd/3"])
    spec.inheritedFD = fd
    let outcome = try ProcessRunner.run(spec)
    #expect(outcome.status == 0)
    #expect(String(decoding: outcome.stdout, as: UTF8.self) == path + "\n")
    // Without it, fd 3 stays closed like every other descriptor of labsh's.
    let plain = try ProcessRunner.run(ProcessSpec(argv: ["/bin/sh", "-c", "readlink /proc/$$/fd/3"]))
    #expect(plain.status != 0)
    #expect(plain.stdout.isEmpty)
}
