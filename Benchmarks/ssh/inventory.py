# pyinfra's inventory of the sshd test hosts (Tests/servers/sshd_hosts.py),
# from the LABSH_TEST_SSH_* variables of their ssh.env: key login as root,
# host keys checked against the hosts' known_hosts.
import os

_env = os.environ
_data = {
    "ssh_user": "root",
    "ssh_port": int(_env["LABSH_TEST_SSH_PORT"]),
    "ssh_key": _env["LABSH_TEST_SSH_KEY"],
    "ssh_known_hosts_file": _env["LABSH_TEST_SSH_KNOWN_HOSTS"],
    "ssh_strict_host_key_checking": "yes",
}
test = [("127.0.0.%d" % (10 + k), dict(_data)) for k in range(1, int(_env["LABSH_TEST_SSH_HOSTS"]) + 1)]
