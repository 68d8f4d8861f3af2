#!/bin/sh
# labsh over SSH against Ansible, Ansible + Mitogen and pyinfra, on real
# sshd hosts on loopback (Tests/servers/sshd_hosts.py), medians of SSH_RUNS
# runs (default 5; an Ansible playbook run takes seconds, 20 s under gVisor).
#
#   exec true        lab.exec(10 hosts, "true")                   warm: vs ansible -m command   <= 0.2
#                                                                 cold: vs pyinfra exec          <= 1.0
#   playbook rerun   10 idempotent tasks (Benchmarks/ssh/), a second run:
#                    warm: vs ansible-playbook <= 0.2, vs pyinfra's (always cold) <= 0.15
#                    cold: vs pyinfra <= 0.5, vs Ansible + Mitogen (mitogen_linear) <= 0.1
#   playbook first   every task changes, cold: vs pyinfra <= 0.7
#   sessions         remote sessions per host for a rerun, from the hosts' sshd logs (labsh: 1)
#   end state        every tool's first run leaves the same files, modes and owners on every host
#   scale            the cold rerun on 10 and on 50 hosts, labsh and pyinfra (SSH_SCALE=0: not run)
#   curve25519       the cold rerun with the key exchange paramiko uses, for comparison (labsh keeps
#                    OpenSSH's default, post-quantum sntrup761x25519: some 70 ms of CPU per connection)
#   floor            `ssh HOST true` to every host at once, no master connection: what the handshakes
#                    alone cost, which a cold rerun cannot go below
#
# Warm: labsh's master connections are up (ControlPersist); cold: they are
# closed before each run (pyinfra and Mitogen connect anew on every run).
# pyinfra 3.10, ansible-core 2.19 and Mitogen 0.3.54 come from PyPI into a
# venv for the bench only (.build/bench-peers; SSH_PEERS=DIR for another).
# Needs root (the hosts are mount namespaces): without it, one "skipped" line.
# Any failure of the setup or of a run stops the benchmark (exit 1).
set -eu
labsh=${1:-.build/release/labsh}
case $labsh in /*) ;; *) labsh=$(pwd)/$labsh ;; esac
runs=${SSH_RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
peers=${SSH_PEERS:-$here/../.build/bench-peers}
sshd_hosts="$here/../Tests/servers/sshd_hosts.py"
if [ "$(id -u)" != 0 ]; then
    echo "ssh: skipped: the sshd test hosts need root"
    exit 0
fi
tmp=$(mktemp -d)
hosts_dir=$tmp/hosts
trap 'python3 "$sshd_hosts" stop "$hosts_dir"; rm -rf "$tmp"' EXIT
. "$here/lib.sh"

# The peers, in their own venv (never used by make test).
if ! "$peers/bin/python" -c 'import pyinfra, ansible_mitogen' 2>/dev/null; then
    python3 -m venv "$peers" || die "cannot make the venv $peers"
    "$peers/bin/pip" install -q "pyinfra==3.10.0" "mitogen==0.3.54" "ansible-core>=2.19,<2.20" > "$tmp/pip.out" 2>&1 ||
        { cat "$tmp/pip.out" >&2; die "cannot install the peers into $peers"; }
fi
pyinfra=$peers/bin/pyinfra
mitogen_strategies=$("$peers/bin/python" -c 'import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__) + "/plugins/strategy")')

# Starts N test hosts in $hosts_dir with /srv/bench on each, and reads
# their ssh.env.
start_hosts() {
    python3 "$sshd_hosts" start "$hosts_dir" --hosts "$1" || die "the sshd test hosts did not start"
    [ -f "$hosts_dir/ssh.env" ] || die "the sshd test hosts wrote no ssh.env"
    set -a
    . "$hosts_dir/ssh.env"
    set +a
    [ "${LABSH_TEST_SSH_HOSTS:-0}" -eq "$1" ] || die "not all $1 sshd test hosts are up"
    inventory=$LABSH_TEST_SSH_INVENTORY
    hosts_ini=$LABSH_TEST_SSH_ANSIBLE_INVENTORY
    export ANSIBLE_CONFIG="$LABSH_TEST_SSH_ANSIBLE_CONFIG"
    "$labsh" --inventory "$inventory" "$tmp/reset.lua" || die "the test hosts do not answer over ssh"
}

# The audit log of the playbook runs stays in the scratch directory.
export LABSH_STATE_DIR="$tmp/state"

# reset.lua: /srv/bench emptied on every test host, then labsh's master
# connections closed; close.lua: only the latter (a cold start).
cat > "$tmp/reset.lua" <<'LUA'
local results = lab.exec({ tag = "test" }, "rm -rf /srv/bench && mkdir -p /srv/bench")
assert(#results:failed() == 0, "reset failed on: " .. table.concat(results:failed(), ", "))
lab.ssh.close()
LUA
cat > "$tmp/close.lua" <<'LUA'
lab.ssh.close()
LUA
# state.lua: per host, every path under /srv/bench with its type, mode,
# owner and group, and each file's SHA-256.
cat > "$tmp/state.lua" <<'LUA'
local listing = "cd /srv/bench && find . -printf '%p %y %m %u %g\\n' | LC_ALL=C sort && "
  .. "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum"
for _, r in ipairs(lab.exec({ tag = "test" }, listing)) do
  assert(r.status == 0, r.host .. ": " .. tostring(r.stderr))
  io.write("== ", r.host, "\n", r.stdout)
end
LUA
# The exec must reach every test host: a run that reached none is no figure.
cat > "$tmp/exec.lua" <<'LUA'
local hosts = lab.nodes { tag = "test" }
assert(#hosts > 0, "the inventory has no test hosts")
local results = lab.exec(hosts, "true", { parallel = #hosts })
local failed = {}
for i, name in ipairs(results:failed()) do failed[i] = tostring(name) end
assert(#results == #hosts and #failed == 0, "lab.exec failed on: " .. table.concat(failed, ", "))
LUA

# One untimed run that must succeed: it warms the connections, and for a
# playbook makes the changes, so the timed runs are second runs.
warm() {
    "$@" > "$tmp/warm.out" 2>&1 || { cat "$tmp/warm.out" >&2; die "failed: $*"; }
}

# The median wall time in ms of $runs runs (hyperfine, no shell); with
# PREPARE set, that command runs untimed before each run.
median_ms() {
    hyperfine -N --style none --runs "$runs" ${PREPARE:+--prepare "$PREPARE"} --export-csv "$tmp/t.csv" "$*" \
        > "$tmp/hyperfine.out" 2>&1 || { cat "$tmp/hyperfine.out" >&2; die "a timed run failed: $*"; }
    awk -F, 'NR > 1 { printf "%.3f\n", $4 * 1000 }' "$tmp/t.csv"
}

warm_median() {
    warm "$@"
    median_ms "$@"
}

cold_median() {
    PREPARE="$labsh --inventory $inventory $tmp/close.lua" median_ms "$@"
}

# Sessions the test hosts' sshd started during one run of the command, per
# host (sshd logs "Starting session" at LogLevel VERBOSE).
sessions_total() { cat "$hosts_dir"/*/sshd.log | grep -c "Starting session: " || true; }
sessions_per_host() {
    before=$(sessions_total)
    warm "$@"
    echo $(( ($(sessions_total) - before) / LABSH_TEST_SSH_HOSTS ))
}

# Each tool's playbook run, as a script hyperfine can start (no shell
# function): the hosts come from the exported LABSH_TEST_SSH_* variables.
cat > "$tmp/labsh_play" <<EOF
#!/bin/sh
exec "$labsh" --inventory "\$LABSH_TEST_SSH_INVENTORY" --yes "$here/ssh/playbook.lua"
EOF
cat > "$tmp/pyinfra_deploy" <<EOF
#!/bin/sh
cd "$here/ssh" && exec "$pyinfra" -y --parallel "\$LABSH_TEST_SSH_HOSTS" inventory.py deploy.py
EOF
cat > "$tmp/mitogen_play" <<EOF
#!/bin/sh
ANSIBLE_STRATEGY_PLUGINS="$mitogen_strategies" ANSIBLE_STRATEGY=mitogen_linear \\
    exec "$peers/bin/ansible-playbook" -i "\$LABSH_TEST_SSH_ANSIBLE_INVENTORY" "$here/ssh/playbook.yml" -f 10
EOF
cat > "$tmp/ansible_play" <<EOF
#!/bin/sh
exec ansible-playbook -i "\$LABSH_TEST_SSH_ANSIBLE_INVENTORY" "$here/ssh/playbook.yml" -f 10
EOF
chmod +x "$tmp/labsh_play" "$tmp/pyinfra_deploy" "$tmp/mitogen_play" "$tmp/ansible_play"
# The floor: the system's ssh runs `true` on every host at once, with no
# master connection (each ssh logs in and out), as a cold run connects.
cat > "$tmp/ssh_floor" <<'EOF'
#!/bin/sh
pids= k=1
while [ "$k" -le "$LABSH_TEST_SSH_HOSTS" ]; do
    ssh -F none -o BatchMode=yes -o ControlPath=none -o User=root -o IdentitiesOnly=yes \
        -o IdentityFile="$LABSH_TEST_SSH_KEY" -o UserKnownHostsFile="$LABSH_TEST_SSH_KNOWN_HOSTS" \
        -p "$LABSH_TEST_SSH_PORT" "127.0.0.$((10 + k))" true &
    pids="$pids $!" k=$((k + 1))
done
for pid in $pids; do wait "$pid" || exit 1; done
EOF
chmod +x "$tmp/ssh_floor"
labsh_play() { "$tmp/labsh_play"; }
pyinfra_deploy() { "$tmp/pyinfra_deploy"; }
mitogen_play() { "$tmp/mitogen_play"; }
ansible_play() { "$tmp/ansible_play"; }

start_hosts 10

# End state: each tool's first run on emptied hosts leaves what labsh's does.
warm "$labsh" --inventory "$inventory" "$tmp/reset.lua"
warm labsh_play
"$labsh" --inventory "$inventory" "$tmp/state.lua" > "$tmp/state.labsh" || die "cannot read the hosts' state"
for tool in pyinfra_deploy mitogen_play ansible_play; do
    warm "$labsh" --inventory "$inventory" "$tmp/reset.lua"
    warm "$tool"
    "$labsh" --inventory "$inventory" "$tmp/state.lua" > "$tmp/state.$tool" || die "cannot read the hosts' state"
    cmp -s "$tmp/state.labsh" "$tmp/state.$tool" ||
        { diff "$tmp/state.labsh" "$tmp/state.$tool" >&2; die "$tool leaves another state than labsh's playbook"; }
done
echo "ssh: end state: pyinfra, Ansible + Mitogen and Ansible leave the files, modes and owners labsh's playbook does on all $LABSH_TEST_SSH_HOSTS hosts"

# Sessions per host for a rerun (each tool's own second run).
sessions_labsh=$(sessions_per_host labsh_play)
sessions_pyinfra=$(sessions_per_host pyinfra_deploy)
sessions_mitogen=$(sessions_per_host mitogen_play)
sessions_ansible=$(sessions_per_host ansible_play)

# exec true
warm "$labsh" --inventory "$inventory" "$tmp/exec.lua"
exec_labsh=$(median_ms "$labsh" --inventory "$inventory" "$tmp/exec.lua")
exec_ansible=$(warm_median ansible all -i "$hosts_ini" -m command -a true -f 10)
exec_labsh_cold=$(cold_median "$labsh" --inventory "$inventory" "$tmp/exec.lua")
exec_pyinfra=$(cd "$here/ssh" && warm_median "$pyinfra" -y --parallel 10 inventory.py exec -- true)

# playbook rerun
play_labsh=$(warm_median "$tmp/labsh_play")
play_labsh_cold=$(cold_median "$tmp/labsh_play")
play_floor=$(warm_median "$tmp/ssh_floor")
play_pyinfra=$(warm_median "$tmp/pyinfra_deploy")
play_mitogen=$(warm_median "$tmp/mitogen_play")
warm ansible_play
if grep -q 'changed=[1-9]' "$tmp/warm.out"; then
    echo "ssh bench: note: ansible-playbook changed what labsh's playbook had set: they differ" >&2
fi
play_ansible=$(median_ms "$tmp/ansible_play")

# first run: every task changes (hosts emptied and labsh's masters closed first)
reset="$labsh --inventory $inventory $tmp/reset.lua"
first_labsh=$(PREPARE=$reset median_ms "$tmp/labsh_play")
first_pyinfra=$(PREPARE=$reset median_ms "$tmp/pyinfra_deploy")

# The cold rerun again with the key exchange pyinfra's paramiko uses,
# curve25519: OpenSSH 9.2's default, sntrup761x25519 (post-quantum), costs
# some 70 ms of CPU per connection on each side. For comparison only: labsh
# keeps OpenSSH's default.
printf 'KexAlgorithms curve25519-sha256\n' > "$tmp/kex.conf"
sed "s|config = \"none\"|config = \"$tmp/kex.conf\"|" "$inventory" > "$tmp/inventory-kex.lua"
grep -q "kex.conf" "$tmp/inventory-kex.lua" || die "the test inventory has no ssh config = \"none\" to replace"
cat > "$tmp/labsh_play_kex" <<EOF
#!/bin/sh
exec "$labsh" --inventory "$tmp/inventory-kex.lua" --yes "$here/ssh/playbook.lua"
EOF
chmod +x "$tmp/labsh_play_kex"
warm "$tmp/labsh_play_kex"
play_labsh_kex=$(PREPARE="$labsh --inventory $tmp/inventory-kex.lua $tmp/close.lua" median_ms "$tmp/labsh_play_kex")

printf "%-34s %12s %12s  %-3s %7s   %s\n" "ssh: 10 sshd hosts, $runs runs" "labsh" "peer" "" "ratio" "target"
row "exec true, warm (ansible)" "$exec_labsh" "$exec_ansible" ms 0.2
row "exec true, cold (pyinfra)" "$exec_labsh_cold" "$exec_pyinfra" ms 1.0
row "playbook rerun, warm (ansible)" "$play_labsh" "$play_ansible" ms 0.2
row "playbook rerun, warm (pyinfra)" "$play_labsh" "$play_pyinfra" ms 0.15
row "playbook rerun, cold (pyinfra)" "$play_labsh_cold" "$play_pyinfra" ms 0.5
row "playbook rerun, cold (mitogen)" "$play_labsh_cold" "$play_mitogen" ms 0.1
row "playbook first run, cold (pyinfra)" "$first_labsh" "$first_pyinfra" ms 0.7
row "  cold rerun, curve25519 (pyinfra)" "$play_labsh_kex" "$play_pyinfra" ms 0.5
awk -v a="$play_labsh_cold" -v f="$play_floor" 'BEGIN {
    printf "%-34s %12.3f %12.3f  ms  %7.2f   (the handshakes alone: 10 x ssh true, cold)\n", "  cold rerun vs the floor", a, f, a / f
}'
printf "%-34s %12s %12s  (pyinfra %s, ansible %s)\n" "rerun sessions per host (mitogen)" \
    "$sessions_labsh" "$sessions_mitogen" "$sessions_pyinfra" "$sessions_ansible"
[ "$sessions_labsh" -eq 1 ] || echo "ssh bench: MISSED: labsh's rerun took $sessions_labsh sessions per host, not 1" >&2

# How the cold rerun scales from 10 to 50 hosts.
if [ "${SSH_SCALE:-1}" != 0 ]; then
    python3 "$sshd_hosts" stop "$hosts_dir"
    rm -rf "$hosts_dir"
    start_hosts 50
    warm labsh_play
    scale_labsh=$(cold_median "$tmp/labsh_play")
    warm pyinfra_deploy
    scale_pyinfra=$(median_ms "$tmp/pyinfra_deploy")
    awk -v a10="$play_labsh_cold" -v p10="$play_pyinfra" -v a50="$scale_labsh" -v p50="$scale_pyinfra" 'BEGIN {
        printf "%-34s %12.3f %12.3f  ms  %7.2f\n", "playbook rerun, cold, 50 hosts", a50, p50, a50 / p50
        printf "%-34s %12.2f %12.2f  (x from 10 to 50 hosts)\n", "  scaling 10 -> 50 hosts", a50 / a10, p50 / p10
    }'
fi
