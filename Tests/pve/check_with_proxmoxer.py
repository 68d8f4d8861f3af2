#!/usr/bin/python3
"""The Proxmox VE simulator through an independent client: Debian's python3-proxmoxer.

If proxmoxer, written against real clusters, lists the nodes, starts a guest
and waits for its task against the simulator, with a token and with a ticket,
and reads its errors, the simulator speaks the API as Proxmox does, not only
as labsh expects.

Against the simulator the test servers run (LABSH_TEST_PVE_* in the
environment, from Tests/run-with-servers.sh), else one of its own. Runs with
Debian's /usr/bin/python3, where apt installs proxmoxer. Exit 0 when all
checks pass; the first failure is printed and exits 1.
"""

import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from proxmoxer import ProxmoxAPI  # noqa: E402
from proxmoxer.core import ResourceException  # noqa: E402

from sim_client import Client, Simulator  # noqa: E402

try:  # proxmoxer >= 2.0; Debian 12 has 1.2.0
    from proxmoxer.tools import Tasks
except ImportError:
    Tasks = None


def blocking_status(api, upid, timeout=30):
    """proxmoxer.tools.Tasks.blocking_status where proxmoxer has it, else the
    same loop (poll the task's status until it is stopped)."""
    if Tasks is not None:
        return Tasks.blocking_status(api, upid, timeout=timeout, polling_interval=0.05)
    node = upid.split(":")[1]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = api.nodes(node).tasks(upid).status.get()
        if status["status"] == "stopped":
            return status
        time.sleep(0.05)
    raise TimeoutError(upid)


def connect(env, **auth):
    host = env["LABSH_TEST_PVE_URL"].split("://", 1)[1]
    return ProxmoxAPI(host, verify_ssl=env["LABSH_TEST_PVE_CA"], timeout=30, **auth)


def expect(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok - " + what)


def guest_status(api, node, vmid):
    return api.nodes(node).qemu(vmid).status.current.get()["status"]


def check(env):
    control = Client(env["LABSH_TEST_PVE_URL"], env["LABSH_TEST_PVE_CA"])
    control.control("reset")
    control.control("config", task_seconds=0.2)
    user, tokenid, secret = env["LABSH_TEST_PVE_TOKEN"].replace("!", "=", 1).split("=", 2)
    api = connect(env, user=user, token_name=tokenid, token_value=secret)

    nodes = sorted(n["node"] for n in api.nodes.get())
    expect(nodes == ["pve1", "pve2", "pve3", "pve4", "pve5"], "token: lists the nodes %s" % nodes)
    guests = api.cluster.resources.get(type="vm")
    expect(len(guests) == 10 and all(g["status"] == "running" for g in guests),
           "token: /cluster/resources has the 10 running guests")

    upid = api.nodes("pve1").qemu(101).status.stop.post()
    expect(upid.startswith("UPID:pve1:") and ":qmstop:101:root@pam!labsh:" in upid, "stop returns a UPID: " + upid)
    expect(blocking_status(api, upid)["exitstatus"] == "OK", "stop task ends OK")
    expect(guest_status(api, "pve1", 101) == "stopped", "guest 101 is stopped")
    upid = api.nodes("pve1").qemu(101).status.start.post()
    status = blocking_status(api, upid)
    expect(status["status"] == "stopped" and status["exitstatus"] == "OK", "start task ends OK")
    expect(guest_status(api, "pve1", 101) == "running", "guest 101 runs again")
    log = api.nodes("pve1").tasks(upid).log.get()
    expect(log[-1] == {"n": len(log), "t": "TASK OK"}, "the task log ends with TASK OK")

    control.control("inject", type="qmigrate", exitstatus="WARNINGS: 2")
    upid = api.nodes("pve1").qemu(101).migrate.post(target="pve2", online=1)
    status = blocking_status(api, upid)
    warnings = [line["t"] for line in api.nodes("pve1").tasks(upid).log.get() if line["t"].startswith("WARN")]
    expect(status["exitstatus"] == "WARNINGS: 2" and len(warnings) == 2,
           "a migration with warnings: %s, %s" % (status["exitstatus"], warnings))
    placed = {g["vmid"]: g["node"] for g in api.cluster.resources.get(type="vm")}
    expect(placed[101] == "pve2", "the guest moved to pve2")

    ticket = connect(env, user=env["LABSH_TEST_PVE_USER"], password=env["LABSH_TEST_PVE_PASSWORD"])
    expect(len(ticket.nodes.get()) == 5, "ticket: lists the nodes")
    upid = ticket.nodes("pve1").qemu(102).status.shutdown.post(timeout=30)
    expect(blocking_status(ticket, upid)["exitstatus"] == "OK", "ticket: a write (with CSRF token) and its task")
    expect(guest_status(ticket, "pve1", 102) == "stopped", "ticket: guest 102 is shut down")

    user, tokenid, secret = env["LABSH_TEST_PVE_LIMITED_TOKEN"].replace("!", "=", 1).split("=", 2)
    limited = connect(env, user=user, token_name=tokenid, token_value=secret)
    try:
        limited.nodes("pve1").qemu(101).status.start.post()
        expect(False, "the limited token may not start a guest")
    except ResourceException as e:
        expect(e.status_code == 403 and "Permission check failed (/vms/101, VM.PowerMgmt)" in str(e),
               "limited token: 403 " + str(e))
    try:
        api.nodes("pve1").qemu(101).migrate.post(target="pve2", online="maybe")
        expect(False, "a wrong parameter is refused")
    except ResourceException as e:
        # proxmoxer 1.2 reads only `data` of an error answer, so not the per-parameter errors
        expect(e.status_code == 400 and "Parameter verification failed." in str(e), "parameter error: " + str(e))

    violations = control.get("/_sim/violations").body["violations"]
    expect(violations == [], "the simulator's answers all fit the schema" +
           ("" if not violations else ": " + json.dumps(violations)[:2000]))
    control.control("reset")


def main():
    if "LABSH_TEST_PVE_URL" in os.environ:
        check(os.environ)
        return 0
    sim = Simulator()
    try:
        check(sim.env)
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, ResourceException) as e:
        print("not ok - %s" % e)
        sys.exit(1)
