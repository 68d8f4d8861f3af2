#!/bin/sh
# labsh over SSH against Ansible, on 10 real sshd hosts on loopback
# (Tests/servers/sshd_hosts.py), connections warmed by one untimed run of
# each tool, medians of 5 runs (SSH_RUNS; an Ansible playbook run takes
# seconds, 20 s under gVisor).
#   exec      lab.exec(10 hosts, "true", {parallel = 10})  vs ansible -m command -a true -f 10   target <= 0.2
#   playbook  10 idempotent tasks (Benchmarks/ssh/), a second run: labsh --yes vs ansible-playbook -f 10   target <= 0.2
# Needs root (the hosts are mount namespaces): without it, one "skipped" line.
# Any failure of the setup or of a run stops the benchmark (exit 1).
set -eu
labsh=${1:-.build/release/labsh}
case $labsh in /*) ;; *) labsh=$(pwd)/$labsh ;; esac
runs=${SSH_RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
sshd_hosts="$here/../Tests/servers/sshd_hosts.py"
if [ "$(id -u)" != 0 ]; then
    echo "ssh: skipped: the sshd test hosts need root"
    exit 0
fi
tmp=$(mktemp -d)
trap 'python3 "$sshd_hosts" stop "$tmp/hosts"; rm -rf "$tmp"' EXIT
. "$here/lib.sh"

python3 "$sshd_hosts" start "$tmp/hosts" --hosts 10 || die "the sshd test hosts did not start"
[ -f "$tmp/hosts/ssh.env" ] || die "the sshd test hosts wrote no ssh.env"
. "$tmp/hosts/ssh.env"
[ "${LABSH_TEST_SSH_HOSTS:-0}" -gt 0 ] || die "no sshd test host is up"
inventory=$LABSH_TEST_SSH_INVENTORY
hosts_ini=$LABSH_TEST_SSH_ANSIBLE_INVENTORY
export ANSIBLE_CONFIG="$LABSH_TEST_SSH_ANSIBLE_CONFIG"
# The audit log of the playbook runs stays in the scratch directory.
export LABSH_STATE_DIR="$tmp/state"

# Both playbooks manage files under /srv/bench (each host's private /srv).
k=1
while [ $k -le "$LABSH_TEST_SSH_HOSTS" ]; do
    ssh -F none -i "$LABSH_TEST_SSH_KEY" -o UserKnownHostsFile="$LABSH_TEST_SSH_KNOWN_HOSTS" \
        -o StrictHostKeyChecking=yes -o BatchMode=yes -p "$LABSH_TEST_SSH_PORT" \
        root@127.0.0.$((10 + k)) mkdir -p /srv/bench || die "test host 127.0.0.$((10 + k)) does not answer over ssh"
    k=$((k + 1))
done


# One untimed run that must succeed: it warms the connections, and for a
# playbook makes the changes, so the timed runs are second runs.
warm() {
    "$@" > "$tmp/warm.out" 2>&1 || { cat "$tmp/warm.out" >&2; die "failed: $*"; }
}

# Then the median wall time in ms of $runs runs (hyperfine, no shell).
median_ms() {
    hyperfine -N --style none --runs "$runs" --export-csv "$tmp/t.csv" "$*" >/dev/null 2>&1 ||
        die "a timed run failed: $*"
    awk -F, 'NR > 1 { printf "%.3f\n", $4 * 1000 }' "$tmp/t.csv"
}

warm_median() {
    warm "$@"
    median_ms "$@"
}

# The exec must reach every test host: a run that reached none is no figure.
cat > "$tmp/exec.lua" <<'LUA'
local hosts = lab.nodes { tag = "test" }
assert(#hosts > 0, "the inventory has no test hosts")
local results = lab.exec(hosts, "true", { parallel = 10 })
local failed = {}
for i, name in ipairs(results:failed()) do failed[i] = tostring(name) end
assert(#results == #hosts and #failed == 0, "lab.exec failed on: " .. table.concat(failed, ", "))
LUA
warm "$labsh" --inventory "$inventory" "$tmp/exec.lua"
exec_labsh=$(median_ms "$labsh" --inventory "$inventory" "$tmp/exec.lua")
exec_ansible=$(warm_median ansible all -i "$hosts_ini" -m command -a true -f 10)

play_labsh=$(warm_median "$labsh" --inventory "$inventory" --yes "$here/ssh/playbook.lua")
# Ansible's first run comes after labsh's: it changes nothing when both
# playbooks reach the same state.
warm ansible-playbook -i "$hosts_ini" "$here/ssh/playbook.yml" -f 10
if grep -q 'changed=[1-9]' "$tmp/warm.out"; then
    echo "ssh bench: note: ansible-playbook changed what labsh's playbook had set: they differ" >&2
fi
play_ansible=$(median_ms ansible-playbook -i "$hosts_ini" "$here/ssh/playbook.yml" -f 10)

printf "%-34s %12s %12s  %-3s %7s   %s\n" "ssh: 10 sshd hosts, $runs runs" "labsh" "peer" "" "ratio" "target"
row "exec true, parallel 10 (ansible)" "$exec_labsh" "$exec_ansible" ms 0.2
row "playbook 10 tasks, rerun (ansible)" "$play_labsh" "$play_ansible" ms 0.2
