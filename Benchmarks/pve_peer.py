#!/usr/bin/python3
"""The peer of Benchmarks/pve.sh: the same work through python3-proxmoxer.

    pve_peer.py resources MIN      GET /cluster/resources, decoded; fails unless
                                   it lists at least MIN guests
    pve_peer.py drain NODE COUNT   migrate every running guest off NODE, one
                                   after another, each task waited for with
                                   Tasks.blocking_status (or, on proxmoxer
                                   1.x, which lacks it, the same loop); fails
                                   unless COUNT guests moved

The simulator's address, CA and token come from the LABSH_TEST_PVE_*
variables (Tests/servers/pve_sim.py writes them). Runs with Debian's
/usr/bin/python3, where apt installs proxmoxer.
"""

import os
import sys
import time

from proxmoxer import ProxmoxAPI

try:  # proxmoxer >= 2.0
    from proxmoxer.tools import Tasks
except ImportError:
    Tasks = None

POLL = 0.1  # seconds between status polls: finer than proxmoxer's default of 1 s, so the peer is not slowed by it


def blocking_status(api, upid, timeout=300):
    if Tasks is not None:
        return Tasks.blocking_status(api, upid, timeout=timeout, polling_interval=POLL)
    node = upid.split(":")[1]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = api.nodes(node).tasks(upid).status.get()
        if status["status"] == "stopped":
            return status
        time.sleep(POLL)
    raise TimeoutError(upid)


def connect():
    env = os.environ
    user, tokenid, secret = env["LABSH_TEST_PVE_TOKEN"].replace("!", "=", 1).split("=", 2)
    host = env["LABSH_TEST_PVE_URL"].split("://", 1)[1]
    return ProxmoxAPI(host, user=user, token_name=tokenid, token_value=secret,
                      verify_ssl=env["LABSH_TEST_PVE_CA"], timeout=60)


def resources(minimum):
    rows = connect().cluster.resources.get()
    guests = [r for r in rows if r.get("type") in ("qemu", "lxc")]
    if len(guests) < minimum:
        sys.exit("pve_peer.py: %d guests listed, %d expected" % (len(guests), minimum))


def drain(node, count):
    api = connect()
    nodes = [n["node"] for n in api.nodes.get() if n.get("status") == "online" and n["node"] != node]
    guests = [r for r in api.cluster.resources.get(type="vm") if r["node"] == node and r["status"] == "running"]
    if len(guests) != count:
        sys.exit("pve_peer.py: %d running guests on %s, %d expected" % (len(guests), node, count))
    for i, g in enumerate(guests):
        target = nodes[i % len(nodes)]
        extra = {"online": 1} if g["type"] == "qemu" else {"restart": 1}
        upid = getattr(api.nodes(node), g["type"])(g["vmid"]).migrate.post(target=target, **extra)
        status = blocking_status(api, upid)
        if status.get("exitstatus") != "OK":
            sys.exit("pve_peer.py: migration of %d ended %s" % (g["vmid"], status.get("exitstatus")))
    left = [r for r in api.cluster.resources.get(type="vm") if r["node"] == node and r["status"] == "running"]
    if left:
        sys.exit("pve_peer.py: %d guests still on %s" % (len(left), node))


def main(argv):
    if len(argv) == 3 and argv[1] == "resources":
        resources(int(argv[2]))
    elif len(argv) == 4 and argv[1] == "drain":
        drain(argv[2], int(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
