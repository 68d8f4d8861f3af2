#!/bin/sh
# Runs CMD... with the real monitoring servers up (Tests/servers/servers.py)
# and the SSH test hosts (Tests/servers/sshd_hosts.py: real sshd on
# 127.0.0.11.., each in its own mount namespace), their addresses exported as
# LABSH_TEST_* and LABSH_TEST_SSH_*; stops them afterwards, also when CMD
# fails or the run is interrupted. Exits with CMD's status.
#
#   Tests/run-with-servers.sh labsh Tests/lua/run.lua Tests/lua/prom_spec.lua
set -eu
servers="$(dirname "$0")/servers/servers.py"
sshd_hosts="$(dirname "$0")/servers/sshd_hosts.py"
dir=$(mktemp -d "${TMPDIR:-/tmp}/labsh-servers.XXXXXX")
# The SSH hosts first (they live in $dir/ssh, which servers.py stop removes),
# and whether or not that works, the servers. Their stop fails when the Proxmox
# simulator answered outside the API schema: that fails the run too.
trap 'status=$?; python3 "$sshd_hosts" stop "$dir/ssh" || :; python3 "$servers" stop "$dir" || status=1; exit $status' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
python3 "$servers" start "$dir"
python3 "$sshd_hosts" start "$dir/ssh"
set -a
. "$dir/servers.env"
. "$dir/ssh/ssh.env"
# The audit log of what the tests change goes with the servers, not to ~.
LABSH_STATE_DIR="$dir/state"
# libcurl honours *_proxy: the servers are reached directly, never via a proxy.
no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
set +a
"$@"
