#!/bin/sh
# Runs CMD... with the real monitoring servers up (Tests/servers/servers.py)
# and their addresses exported as LABSH_TEST_*; stops them afterwards, also
# when CMD fails or the run is interrupted. Exits with CMD's status.
#
#   Tests/run-with-servers.sh labsh Tests/lua/run.lua Tests/lua/prom_spec.lua
set -eu
servers="$(dirname "$0")/servers/servers.py"
dir=$(mktemp -d "${TMPDIR:-/tmp}/labsh-servers.XXXXXX")
trap 'python3 "$servers" stop "$dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
python3 "$servers" start "$dir"
set -a
. "$dir/servers.env"
# The audit log of what the tests change goes with the servers, not to ~.
LABSH_STATE_DIR="$dir/state"
# libcurl honours *_proxy: the servers are reached directly, never via a proxy.
no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
set +a
"$@"
