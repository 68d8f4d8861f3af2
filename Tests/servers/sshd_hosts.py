#!/usr/bin/env python3
"""Test hosts for remote execution over SSH: N real OpenSSH servers on loopback.

    sshd_hosts.py start DIR [--hosts N]   start N hosts (default 10), each a
                                          real sshd; wait until each accepts a
                                          login; write DIR/ssh.env
    sshd_hosts.py stop DIR                stop them (and everything their
                                          sessions left running) and remove DIR

Host K (K = 1..N) is sshd listening on 127.0.0.(10+K):PORT, one PORT for all,
chosen free per run (2222 if it is free on every address, another otherwise;
a run that loses a race for it to a concurrent run picks another). Each sshd
runs in its own mount and UTS namespace (unshare) where private copies are
bind-mounted over /etc (a copy of the real one), /root, /home, /srv, /tmp,
/var/log, and with sudo /run/sudo and /var/lib/sudo, and the host name is
hostK: what a test writes on one host (/srv/x, /etc/motd, a user added to
/etc/passwd) is not seen on another and never touches the real machine.
Everything else (/usr, the rest of /var and /run) is shared.

On every host: root and the user `ops` (shell /bin/sh, password in
DIR/sudo_password, sudo for everything through /etc/sudoers.d/ops when sudo
is installed) log in with DIR/client_key only; sshd has no passwords, no PAM.

DIR holds, per run:
    ssh.env              the LABSH_TEST_SSH_* variables (see below)
    inventory.lua        a labsh inventory: host1..hostN (tag "test", odd ones
                         also "odd") and down1 (tag "down", 127.0.0.99:PORT,
                         where nothing listens), with an `ssh` section
    client_key(.pub)     the client key (ed25519, no passphrase)
    known_hosts          every host's key as "[127.0.0.x]:PORT ssh-ed25519 ..."
    known_hosts.wrong    the same, but host1 with another key: must be refused
    sudo_password        ops's password (one line)
    ansible/hosts.ini, ansible/ansible.cfg   the same hosts for Ansible
                         (ANSIBLE_CONFIG=DIR/ansible/ansible.cfg)
    hostK/               etc root home srv tmp var-log (run-sudo
                         var-lib-sudo): host K's private dirs;
                         sshd.log: its sshd's log (LogLevel VERBOSE); a
                         symbolic link into /dev/shm/labsh-ssh-* (named in
                         DIR/scratch) when /dev/shm has room: much faster
    pids                 "PID hostK" of each sshd (stop finds every process
                         of a host by the directories it sees as /etc, /srv)

ssh.env: LABSH_TEST_SSH_DIR (DIR), _INVENTORY, _HOSTS (N), _PORT, _KEY (the
client key), _KNOWN_HOSTS, _KNOWN_HOSTS_WRONG, _SUDO_PASSWORD_FILE,
_ANSIBLE_INVENTORY and _ANSIBLE_CONFIG (all LABSH_TEST_SSH_...).

Tests/run-with-servers.sh wraps a command in start and stop (in DIR/ssh of
its temporary directory). Needs root, unshare (util-linux), openssh-server
and openssh-client; sudo optional. Python standard library only.
"""

import ctypes
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from servers import alive  # the same directory: shared helpers

READY_TIMEOUT = 30  # seconds for all hosts together to accept a login
STOP_TIMEOUT = 5    # seconds between SIGTERM and SIGKILL
PORT_TRIES = 5      # new ports tried when a concurrent run took ours
FIRST_PORT = 2222
SSHD = "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"
DOWN_ADDRESS = "127.0.0.99"  # down1: nothing listens there
MAX_HOSTS = 88               # 127.0.0.11 .. 127.0.0.98
# Per-host directories bind-mounted over the real ones inside the namespace.
PRIVATE = [("etc", "/etc"), ("root", "/root"), ("home", "/home"), ("srv", "/srv"),
           ("var-log", "/var/log"), ("tmp", "/tmp")]
# With sudo installed, its timestamps and lecture marks too.
SUDO_PRIVATE = [("run-sudo", "/run/sudo", 0o711), ("var-lib-sudo", "/var/lib/sudo", 0o700)]

MS_BIND = 4096
# The Python that runs inside the namespace: not one under /root (pyenv),
# which the host's private /root hides.
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def write(path, text, mode=None):
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)


def address(k):
    return "127.0.0.%d" % (10 + k)


def host_name(k):
    return "host%d" % k


class Failed(Exception):
    """start failed; log names the file whose end explains it (or None)."""

    def __init__(self, message, log=None):
        super().__init__(message)
        self.log = log


def run(command, **kwargs):
    """A setup command that must succeed; its output on failure."""
    result = subprocess.run(command, stdin=kwargs.pop("stdin", subprocess.DEVNULL),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)
    if result.returncode != 0:
        raise Failed("%s failed (status %d): %s" % (
            " ".join(command), result.returncode, result.stdout.decode(errors="replace").strip()))
    return result.stdout.decode()


def keygen(path, comment):
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path])
    with open(path + ".pub") as f:
        return " ".join(f.read().split()[:2])  # "ssh-ed25519 AAAA..."


# -- ports -------------------------------------------------------------------

def bindable(addr, port):
    """Nothing listens on addr:port (nor on the wildcard address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As sshd binds: connections of an earlier run in TIME_WAIT don't count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((addr, port))
            return True
        except OSError:
            return False


def choose_port(addresses, first):
    """The first port from `first` on free on every address. Another process
    can take it before sshd binds it: start() then tries another."""
    port = first
    while port < 65000:
        if all(bindable(a, port) for a in addresses):
            return port
        port += 1
    raise Failed("no port free on %s..%s" % (addresses[0], addresses[-1]))


# -- per-host files ----------------------------------------------------------

SSHD_CONFIG = """\
# Written by Tests/servers/sshd_hosts.py for {name}.
ListenAddress {address}:{port}
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /etc/ssh/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
MaxSessions 50
MaxStartups 100
MaxAuthTries 10
LoginGraceTime 30
LogLevel VERBOSE
Subsystem sftp {sftp}
{extra}"""


def sshd_version():
    """(major, minor) of the installed OpenSSH, from `ssh -V`."""
    out = subprocess.run(["ssh", "-V"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout
    m = re.search(rb"OpenSSH_(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def make_host(d, k, client_pub):
    """host K's private directories, its host key and root's authorized_keys.
    Returns its public host key."""
    h = os.path.join(d, host_name(k))
    run(["cp", "-a", "/etc", os.path.join(h, "etc")])
    for sub in ("root", "home", "srv", "var-log", "tmp"):
        os.makedirs(os.path.join(h, sub))
    if shutil.which("sudo"):
        for sub, target, mode in SUDO_PRIVATE:
            os.makedirs(target, mode=mode, exist_ok=True)  # a mount point (sudo makes them too)
            os.makedirs(os.path.join(h, sub))
            os.chmod(os.path.join(h, sub), mode)
    os.chmod(os.path.join(h, "root"), 0o700)
    os.chmod(os.path.join(h, "tmp"), 0o1777)
    for log in ("lastlog", "wtmp", "btmp", "faillog"):  # what login and useradd write
        write(os.path.join(h, "var-log", log), "")
    etc = os.path.join(h, "etc")
    # Not the real machine's host keys, nor its sshd_config.d.
    ssh_dir = os.path.join(etc, "ssh")
    os.makedirs(ssh_dir, exist_ok=True)
    for f in os.listdir(ssh_dir):
        if f.startswith("ssh_host_"):
            os.remove(os.path.join(ssh_dir, f))
    key = keygen(os.path.join(ssh_dir, "ssh_host_ed25519_key"), host_name(k))
    write(os.path.join(etc, "hostname"), host_name(k) + "\n")
    with open(os.path.join(etc, "hosts"), "a") as f:  # sudo resolves its host name
        f.write("%s %s\n" % (address(k), host_name(k)))
    dot_ssh = os.path.join(h, "root", ".ssh")
    os.makedirs(dot_ssh, mode=0o700)
    write(os.path.join(dot_ssh, "authorized_keys"), client_pub + "\n", 0o600)
    return key


def memory_scratch(d, n):
    """A directory on /dev/shm for the host directories, when it has room:
    copying /etc there takes a tenth of the time it takes on a disk (more
    under gVisor). DIR/hostK are then symbolic links into it; DIR/scratch
    names it for stop. None: they stay in DIR."""
    try:
        st = os.statvfs("/dev/shm")
    except OSError:
        return None
    if st.f_bavail * st.f_frsize < (100 + 20 * n) * 2**20:
        return None
    scratch = tempfile.mkdtemp(prefix="labsh-ssh-", dir="/dev/shm")
    write(os.path.join(d, "scratch"), scratch + "\n")
    return scratch


def write_sshd_config(d, k, port, extra):
    write(os.path.join(d, host_name(k), "etc", "ssh", "sshd_config"), SSHD_CONFIG.format(
        name=host_name(k), address=address(k), port=port, sftp=SFTP_SERVER, extra=extra))


# -- inside the namespace ----------------------------------------------------

def enter(h):
    """Run by `unshare --mount --uts --propagation private` in the new
    namespaces (sshd_hosts.py _enter HOSTDIR): mount host dir H's private
    directories, set the host name, add ops, then become sshd (same pid)."""
    libc = ctypes.CDLL(None, use_errno=True)
    name = os.path.basename(h)
    d = os.path.dirname(h)
    with open(os.path.join(d, "sudo_password")) as f:
        password = f.readline().strip()
    with open(os.path.join(d, "client_key.pub")) as f:
        client_pub = f.read().strip()
    # Open every source first: H may lie under a directory mounted over
    # (/tmp, /root...); /proc/self/fd/N still names the directory then.
    fds = [(os.open(os.path.join(h, sub), os.O_RDONLY | os.O_DIRECTORY), sub, target)
           for sub, target in PRIVATE + [(sub, target) for sub, target, _ in SUDO_PRIVATE
                                         if os.path.isdir(os.path.join(h, sub))]]
    for fd, sub, target in fds:
        if libc.mount(("/proc/self/fd/%d" % fd).encode(), target.encode(), None, MS_BIND, None) != 0:
            sys.exit("%s: mount --bind %s/%s %s: %s" % (name, h, sub, target,
                                                       os.strerror(ctypes.get_errno())))
        os.close(fd)
    os.chdir("/")
    if libc.sethostname(name.encode(), len(name)) != 0:
        sys.exit("%s: sethostname: %s" % (name, os.strerror(ctypes.get_errno())))
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}

    def must(command, stdin=None):
        r = subprocess.run(command, input=stdin, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if r.returncode != 0:
            sys.exit("%s: %s failed (status %d): %s" % (name, " ".join(command), r.returncode,
                                                        r.stdout.decode(errors="replace").strip()))

    with open("/etc/passwd") as f:
        has_ops = any(line.startswith("ops:") for line in f)
    if not has_ops:
        must(["useradd", "-m", "-s", "/bin/sh", "ops"])
        must(["chpasswd"], ("ops:%s\n" % password).encode())
        os.makedirs("/home/ops/.ssh", mode=0o700, exist_ok=True)
        write("/home/ops/.ssh/authorized_keys", client_pub + "\n", 0o600)
        must(["chown", "-R", "ops:ops", "/home/ops/.ssh"])
        if os.path.isdir("/etc/sudoers.d") and shutil.which("sudo", path=env["PATH"]):
            write("/etc/sudoers.d/ops", "ops ALL=(ALL:ALL) ALL\n", 0o440)
            must(["visudo", "-c", "-q", "-f", "/etc/sudoers.d/ops"])
    os.execve(SSHD, [SSHD, "-D", "-e", "-f", "/etc/ssh/sshd_config"], env)


# -- start -------------------------------------------------------------------

def ssh_command(d, k, port, *command):
    return ["ssh", "-F", "none", "-i", os.path.join(d, "client_key"),
            "-o", "UserKnownHostsFile=" + os.path.join(d, "known_hosts"),
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5",
            "-p", str(port), "root@" + address(k)] + list(command)


def log_of(d, k):
    return os.path.join(d, host_name(k), "sshd.log")


def launch(d, n, pids):
    """Start every host's sshd; returns {k: Popen}."""
    processes = {}
    for k in range(1, n + 1):
        with open(log_of(d, k), "w") as out:
            p = subprocess.Popen(
                ["unshare", "--mount", "--uts", "--propagation", "private",
                 PYTHON, os.path.abspath(__file__), "_enter", os.path.join(d, host_name(k))],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=d, start_new_session=True)
        processes[k] = p
        pids.write("%d %s\n" % (p.pid, host_name(k)))
        pids.flush()
    return processes


def port_taken(log):
    try:
        with open(log, errors="replace") as f:
            return "Address already in use" in f.read()
    except OSError:
        return False


def wait_logins(d, n, port, processes):
    """Every host accepts root's key login; on each, /srv/whoami says its name.
    Returns "port" when a host lost its port to another process."""
    deadline = time.monotonic() + READY_TIMEOUT
    waiting = set(range(1, n + 1))
    while waiting:
        for k in sorted(waiting):
            p = processes[k]
            if p.poll() is not None:
                if port_taken(log_of(d, k)):
                    return "port"
                raise Failed("%s (%s:%d) exited with status %d before it accepted a login (log %s)"
                             % (host_name(k), address(k), port, p.returncode, log_of(d, k)), log_of(d, k))
        attempts = {}
        for k in waiting:
            with socket.socket() as s:
                s.settimeout(1)
                if s.connect_ex((address(k), port)) != 0:
                    continue
            attempts[k] = subprocess.Popen(
                ssh_command(d, k, port, "echo %s > /srv/whoami" % host_name(k)),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        last_error = {}
        for k, a in attempts.items():
            out = a.communicate()[0].decode(errors="replace").strip()
            if a.returncode == 0:
                waiting.discard(k)
            else:
                last_error[k] = out
        if not waiting:
            break
        if time.monotonic() > deadline:
            k = min(waiting)
            raise Failed("%s (%s:%d) did not accept a login within %d s%s (log %s)" % (
                host_name(k), address(k), port, READY_TIMEOUT,
                ": " + last_error[k] if k in last_error else "", log_of(d, k)), log_of(d, k))
        time.sleep(0.1)
    # Private namespaces: each host reads back its own name, and the file
    # landed in that host's own srv directory, not in the real /srv.
    reads = {k: subprocess.Popen(ssh_command(d, k, port, "cat /srv/whoami; hostname"),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT) for k in range(1, n + 1)}
    for k, r in reads.items():
        seen = r.communicate()[0].decode(errors="replace").split()
        with open(os.path.join(d, host_name(k), "srv", "whoami")) as f:
            on_disk = f.read().strip()
        if seen != [host_name(k), host_name(k)] or on_disk != host_name(k):
            raise Failed("%s: its /srv and host name are not private: reads %r, its srv holds %r"
                         % (host_name(k), seen, on_disk), log_of(d, k))
    return "ok"


INVENTORY_HEAD = """\
-- Written by Tests/servers/sshd_hosts.py: {n} test hosts, each a real sshd on
-- loopback ({first}..{last}, port {port}) in its own mount namespace. The
-- node addresses and the VLAN are model data only, never contacted.
return {{
  site = {{ name = "labsh-ssh-test", domain = "test.local", timezone = "UTC" }},
  ssh = {{
    user = "root",
    key = "file:{d}/client_key",
    known_hosts = "{d}/known_hosts",
    config = "none",
    connect_timeout = 5,
  }},
  nodes = {{
"""

INVENTORY_TAIL = """\
  }},
  vlans = {{
    {{ id = 77, name = "test", subnet = "10.77.0.0/24", gateway = "10.77.0.1", zone = "test", trust = "low" }},
  }},
  policy = {{ default = "deny", rules = {{}} }},
}}
"""


def inventory(d, n, port):
    def node(name, model_address, ssh_host, tags):
        return ('    {{ name = "{name}", kind = "workstation", os = "Debian 12", role = "test-host", '
                'address = "{addr}", vlans = {{ 77 }}, tags = {{ {tags} }},\n'
                '      ssh = {{ host = "{host}", port = {port} }} }},\n').format(
                    name=name, addr=model_address, host=ssh_host, port=port,
                    tags=", ".join('"%s"' % t for t in tags))
    text = INVENTORY_HEAD.format(n=n, first=address(1), last=address(n), port=port, d=d)
    for k in range(1, n + 1):
        text += node(host_name(k), "10.77.0.%d" % (10 + k), address(k),
                     ["test", "odd"] if k % 2 else ["test"])
    text += node("down1", "10.77.0.99", DOWN_ADDRESS, ["down"])
    return text + INVENTORY_TAIL.format()


def ansible_files(d, n, port):
    a = os.path.join(d, "ansible")
    os.makedirs(os.path.join(a, "cp"), exist_ok=True)
    os.makedirs(os.path.join(a, "tmp"), exist_ok=True)
    lines = ["# Written by Tests/servers/sshd_hosts.py; use with ANSIBLE_CONFIG=%s/ansible.cfg" % a, "[test]"]
    for k in range(1, n + 1):
        lines.append("%s ansible_host=%s ansible_port=%d" % (host_name(k), address(k), port))
    lines += ["", "[odd]"] + [host_name(k) for k in range(1, n + 1, 2)]
    lines += ["", "[all:vars]", "ansible_user=root",
              "ansible_ssh_private_key_file=%s/client_key" % d,
              "ansible_python_interpreter=/usr/bin/python3",
              "ansible_ssh_common_args='-F none -o UserKnownHostsFile=%s/known_hosts "
              "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes'" % d, ""]
    write(os.path.join(a, "hosts.ini"), "\n".join(lines))
    write(os.path.join(a, "ansible.cfg"), """\
# Written by Tests/servers/sshd_hosts.py
[defaults]
inventory = {a}/hosts.ini
host_key_checking = True
forks = 10
gathering = explicit
interpreter_python = /usr/bin/python3
local_tmp = {a}/tmp
retry_files_enabled = False

[ssh_connection]
pipelining = True
control_path_dir = {a}/cp
""".format(a=a))


def start(d, n):
    if os.geteuid() != 0:
        raise Failed("needs root (mount namespaces, sshd)")
    for tool in (SSHD, SFTP_SERVER):
        if not os.path.exists(tool):
            raise Failed("%s is missing: make deps installs openssh-server" % tool)
    for tool in ("ssh", "ssh-keygen", "unshare", "useradd"):
        if not shutil.which(tool):
            raise Failed("%s is missing: make deps installs it" % tool)
    # sshd's privilege separation directory (shared by every host).
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)

    write(os.path.join(d, "sudo_password"), secrets.token_urlsafe(18) + "\n", 0o600)
    client_pub = keygen(os.path.join(d, "client_key"), "labsh-test-client")
    scratch = memory_scratch(d, n)
    for k in range(1, n + 1):
        if scratch:
            os.makedirs(os.path.join(scratch, host_name(k)))
            os.symlink(os.path.join(scratch, host_name(k)), os.path.join(d, host_name(k)))
        else:
            os.makedirs(os.path.join(d, host_name(k)))
    host_keys = {k: make_host(d, k, client_pub) for k in range(1, n + 1)}
    wrong_key = keygen(os.path.join(d, "wrong_host_key"), "not-host1")
    extra = "PerSourcePenalties no\n" if sshd_version() >= (9, 8) else ""

    pids = open(os.path.join(d, "pids"), "w")
    addresses = [address(k) for k in range(1, n + 1)] + [DOWN_ADDRESS]
    first = FIRST_PORT
    for attempt in range(PORT_TRIES):
        port = choose_port(addresses, first)
        for k in host_keys:
            write_sshd_config(d, k, port, extra)
        for name, wrong in (("known_hosts", False), ("known_hosts.wrong", True)):
            write(os.path.join(d, name), "".join(
                "[%s]:%d %s\n" % (address(k), port, wrong_key if wrong and k == 1 else key)
                for k, key in sorted(host_keys.items())))
        processes = launch(d, n, pids)
        if wait_logins(d, n, port, processes) == "ok":
            break
        # A concurrent run took the port between our check and sshd's bind.
        stop_processes(d)
        pids.seek(0)
        pids.truncate()
        first = random.randint(FIRST_PORT + 1, 2999)
    else:
        raise Failed("no free port after %d tries (another run took each)" % PORT_TRIES)
    pids.close()

    write(os.path.join(d, "inventory.lua"), inventory(d, n, port))
    ansible_files(d, n, port)
    env = {
        "LABSH_TEST_SSH_DIR": d,
        "LABSH_TEST_SSH_INVENTORY": os.path.join(d, "inventory.lua"),
        "LABSH_TEST_SSH_HOSTS": str(n),
        "LABSH_TEST_SSH_PORT": str(port),
        "LABSH_TEST_SSH_KEY": os.path.join(d, "client_key"),
        "LABSH_TEST_SSH_KNOWN_HOSTS": os.path.join(d, "known_hosts"),
        "LABSH_TEST_SSH_KNOWN_HOSTS_WRONG": os.path.join(d, "known_hosts.wrong"),
        "LABSH_TEST_SSH_SUDO_PASSWORD_FILE": os.path.join(d, "sudo_password"),
        "LABSH_TEST_SSH_ANSIBLE_INVENTORY": os.path.join(d, "ansible", "hosts.ini"),
        "LABSH_TEST_SSH_ANSIBLE_CONFIG": os.path.join(d, "ansible", "ansible.cfg"),
    }
    write(os.path.join(d, "ssh.env"), "".join("%s=%s\n" % item for item in sorted(env.items())))


# -- stop --------------------------------------------------------------------

def ours(d):
    """Pids of this run's processes, whatever their namespace ids (which the
    kernel reuses) or pids: every process that sees one of DIR's host
    directories as its /etc or /srv (each sshd, its sessions, whatever a test
    left running there), and any still setting a host up (_enter DIR/hostK)."""
    marks = set()
    for entry in (os.listdir(d) if os.path.isdir(d) else []):
        if entry.startswith("host"):
            for sub in ("etc", "srv"):
                try:
                    st = os.stat(os.path.join(d, entry, sub))
                    marks.add((st.st_dev, st.st_ino))
                except OSError:
                    pass
    entering = ("_enter\0" + d.rstrip("/") + "/").encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            for sub in ("etc", "srv"):
                st = os.stat("/proc/%s/root/%s" % (entry, sub))
                if (st.st_dev, st.st_ino) in marks:
                    found.append(int(entry))
                    break
            else:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    if entering in f.read():
                        found.append(int(entry))
        except OSError:
            pass
    return found


def stop_processes(d):
    """SIGTERM, then SIGKILL, each sshd and everything else on its host
    (sessions a test left running): the namespace and its mounts go with the
    last of them."""
    def targets():
        return [p for p in ours(d) if alive(p)]

    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in targets():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_TIMEOUT
        while targets() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not targets():
            break
    # Reap what we started ourselves (a failed start).
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def stop(d):
    d = os.path.realpath(d)
    stop_processes(d)
    try:
        with open(os.path.join(d, "scratch")) as f:
            scratch = f.read().strip()
        if os.path.basename(scratch).startswith("labsh-ssh-"):
            shutil.rmtree(scratch, ignore_errors=True)
    except OSError:
        pass
    shutil.rmtree(d, ignore_errors=True)


def main(argv):
    if len(argv) == 3 and argv[1] == "_enter":
        enter(argv[2])
        return 1  # not reached: enter execs sshd or exits
    usage = "usage: sshd_hosts.py start DIR [--hosts N] | stop DIR\n"
    if len(argv) < 3 or argv[1] not in ("start", "stop"):
        sys.stderr.write(usage)
        return 2
    action, d = argv[1], argv[2]
    if action == "stop":
        if len(argv) != 3:
            sys.stderr.write(usage)
            return 2
        stop(d)
        return 0
    n = 10
    if len(argv) == 5 and argv[3] == "--hosts" and argv[4].isdigit() and 1 <= int(argv[4]) <= MAX_HOSTS:
        n = int(argv[4])
    elif len(argv) != 3:
        sys.stderr.write(usage + "(N: 1..%d)\n" % MAX_HOSTS)
        return 2
    d = os.path.realpath(d)
    if os.path.exists(d) and (not os.path.isdir(d) or os.listdir(d)):
        sys.stderr.write("labsh ssh test hosts: %s exists and is not an empty directory\n" % d)
        return 1
    os.makedirs(d, exist_ok=True)
    try:
        start(d, n)
    except Failed as e:
        # The logs go with DIR when we clean up: show the end of the one
        # that explains the failure here.
        sys.stderr.write("labsh ssh test hosts: %s\n" % e)
        if e.log and os.path.exists(e.log):
            with open(e.log, errors="replace") as f:
                sys.stderr.write("--- end of %s ---\n%s\n" % (e.log, f.read()[-3000:]))
        stop(d)
        return 1
    except OSError as e:
        sys.stderr.write("labsh ssh test hosts: %s\n" % e)
        stop(d)
        return 1
    except KeyboardInterrupt:
        stop(d)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
