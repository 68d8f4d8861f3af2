"""The simulated cluster: nodes, guests, storage and backups, HA, tasks.

Nothing changes a guest but a task, and a task takes time: it ends when the
simulated clock passes its end (checked on every request, by tick()), and
only then does its change happen (a guest starts, moves, a backup appears).
While it runs the guest is locked. The clock is the wall clock plus an offset
that a test can advance (tickets expire after 2 h of it).

Not thread-safe by itself: the server holds Cluster.lock around each request.
"""

import copy
import json
import os
import random
import threading
import time

SEED_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pve", "homelab-seed.json")
GIB = 1 << 30

DEFAULT_CONFIG = {
    "task_seconds": 0.2,          # how long a task runs without an injection
    "migrate_seconds": 1.0,       # qmigrate / vzmigrate
    "reboot_seconds": 1.0,        # a node's reboot: offline this long
    "ha_recovery_seconds": None,  # HA moves guests off an offline node after this (off: None)
    "ha_redirect": False,         # HA-managed guests: start/stop/migrate only ask HA (as PVE)
}

TASK_LOCKS = {"qmigrate": "migrate", "vzmigrate": "migrate", "vzdump": "backup",
              "qmsnapshot": "snapshot", "vzsnapshot": "snapshot",
              "qmdelsnapshot": "snapshot-delete", "vzdelsnapshot": "snapshot-delete",
              "qmrollback": "rollback", "vzrollback": "rollback",
              "qmrestore": "create", "vzrestore": "create", "qmcreate": "create", "vzcreate": "create"}


class ApiError(Exception):
    """An answer other than 200: status, PVE's message, per-parameter errors."""

    def __init__(self, status, message, errors=None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


class Task:
    def __init__(self, cluster, node, kind, ident, user, seconds, exitstatus, lines):
        self.node, self.type, self.id, self.user = node, kind, str(ident), user
        self.pid = random.randint(0x1000, 0x3FFFFF)
        self.pstart = random.randint(0x100000, 0xFFFFFFF)
        self.starttime = int(cluster.now())
        self.upid = "UPID:%s:%08X:%08X:%08X:%s:%s:%s:" % (
            node, self.pid, self.pstart, self.starttime, kind, self.id, user)
        self.end_at = cluster.now() + seconds
        self.exitstatus = exitstatus    # what it will end with
        self.lines = list(lines)        # the log's body; the TASK line comes at the end
        self.done = False
        self.unknown_polls = 0
        self.endtime = None
        self.on_success = []            # state changes, when OK or WARNINGS
        self.on_end = []                # always (unlock)
        self.checks = []                # at the end: an error text fails the task (a target went away)

    @property
    def ok(self):
        return self.exitstatus == "OK" or self.exitstatus.startswith("WARNINGS")

    def status(self):
        data = {"upid": self.upid, "node": self.node, "pid": self.pid, "pstart": self.pstart,
                "starttime": self.starttime, "type": self.type, "id": self.id, "user": self.user,
                "status": "stopped" if self.done else "running"}
        if self.done:
            data["exitstatus"] = self.exitstatus
        return data

    def log(self):
        if not self.done:
            return self.lines[:1]
        warnings = self.warning_count()
        body = list(self.lines)
        if warnings:
            body[1:1] = ["WARN: simulated warning %d of %d" % (i + 1, warnings) for i in range(warnings)]
        if self.exitstatus == "OK":
            body.append("TASK OK")
        elif warnings:
            body.append("TASK WARNINGS: %d" % warnings)
        else:
            body.append("TASK ERROR: %s" % self.exitstatus)
        return body

    def warning_count(self):
        if self.exitstatus.startswith("WARNINGS:"):
            return int(self.exitstatus.split(":")[1])
        return 0


class Cluster:
    def __init__(self, seed_file=SEED_FILE):
        self.lock = threading.RLock()
        self.seed_file = seed_file
        self.clock_offset = 0.0
        self.generation = 0
        self.reset()

    def now(self):
        return time.time() + self.clock_offset

    def changed(self):
        self.generation += 1

    # -- seeding ------------------------------------------------------------

    def reset(self):
        with open(self.seed_file) as f:
            self.load_seed(json.load(f))

    def load_seed(self, seed):
        self.config = dict(DEFAULT_CONFIG)
        self.injections = []
        self.tasks = {}
        self.timers = []   # (when, function): reboots, HA recovery
        self.name = seed["cluster"]
        self.nodes = {}
        for i, n in enumerate(seed["nodes"]):
            self.nodes[n["name"]] = {
                "name": n["name"], "nodeid": i + 1, "ip": n["address"], "online": True,
                "maxcpu": n["cpus"], "maxmem": n["ram"], "maxdisk": n["storage"],
                "boot": self.now() - 86400 * 7}
        self.guests = {}
        for g in seed["guests"]:
            self.guests[g["vmid"]] = self.make_guest(g["vmid"], g["name"], g["kind"], g["node"],
                                                     g["ram"], g["vcpu"], g["disk"], running=True)
        self.storages = {
            "local": {"type": "dir", "content": "backup,iso,vztmpl", "shared": 0, "total": 100 * GIB},
            "local-lvm": {"type": "lvmthin", "content": "images,rootdir", "shared": 0, "total": 400 * GIB},
            "pbs": {"type": "pbs", "content": "backup", "shared": 1, "total": 4096 * GIB,
                    "prune-backups": "keep-last=2"},
        }
        self.backups = []
        day = int(self.now()) // 86400 * 86400
        for vmid, g in sorted(self.guests.items()):
            for back in (3, 2, 1):
                self.add_backup("pbs", None, g, day - back * 86400 + 2 * 3600)
        self.ha_resources = {}
        self.ha_rules = {}
        for group in seed.get("ha_groups", []):
            members = [g for g in seed["guests"] if g.get("ha_group") == group["name"]]
            for g in members:
                sid = "vm:%d" % g["vmid"] if g["kind"] == "qemu" else "ct:%d" % g["vmid"]
                self.ha_resources[sid] = {"sid": sid, "type": sid[:2], "state": "started",
                                          "max_restart": 1, "max_relocate": 1, "failback": 1}
            if members:
                rule = "ha-group-" + group["name"]
                self.ha_rules[rule] = {
                    "rule": rule, "type": "node-affinity", "strict": 0,
                    "nodes": ",".join(group["nodes"]),
                    "resources": ",".join(sorted("vm:%d" % g["vmid"] for g in members))}
        self.changed()

    def synthetic(self, nodes, guests):
        """A big cluster for benchmarks: NODES nodes, GUESTS guests spread evenly."""
        seed = {"cluster": "bench", "ha_groups": [],
                "nodes": [{"name": "node%d" % (i + 1), "address": "127.0.1.%d" % (i + 1),
                           "cpus": 32, "ram": 256 * GIB, "storage": 4000 * 10**9} for i in range(nodes)],
                "guests": [{"vmid": 1000 + i, "name": "guest%d" % (i + 1),
                            "kind": "qemu" if i % 4 else "lxc", "node": "node%d" % (i % nodes + 1),
                            "ram": 4 * GIB, "vcpu": 2, "disk": 32 * GIB} for i in range(guests)]}
        self.load_seed(seed)

    def make_guest(self, vmid, name, kind, node, ram, vcpu, disk, running):
        return {"vmid": vmid, "name": name, "type": kind, "node": node,
                "status": "running" if running else "stopped", "maxmem": ram, "cpus": vcpu,
                "maxdisk": disk, "started": self.now() - 3600 * 24 if running else None,
                "lock": None, "task": None, "snapshots": [], "onboot": 1, "tags": ""}

    # -- queries ------------------------------------------------------------

    def quorate(self):
        return sum(n["online"] for n in self.nodes.values()) * 2 > len(self.nodes)

    def node(self, name):
        if name not in self.nodes:
            raise ApiError(500, "hostname lookup '%s' failed - failed to get address info for: "
                                "%s: Name or service not known" % (name, name))
        return self.nodes[name]

    def guest(self, node, vmid, kind):
        g = self.guests.get(vmid)
        if g is None or g["node"] != node or g["type"] != kind:
            folder = "qemu-server" if kind == "qemu" else "lxc"
            raise ApiError(500, "Configuration file 'nodes/%s/%s/%d.conf' does not exist"
                           % (node, folder, vmid))
        return g

    def ha_sid(self, g):
        sid = ("vm:%d" if g["type"] == "qemu" else "ct:%d") % g["vmid"]
        return sid if sid in self.ha_resources else None

    def guest_status(self, g):
        """running/stopped, or unknown while its node is offline."""
        return g["status"] if self.nodes[g["node"]]["online"] else "unknown"

    def uptime(self, g):
        return int(self.now() - g["started"]) if g["status"] == "running" and g["started"] else 0

    # -- tasks --------------------------------------------------------------

    def tick(self):
        """Finish the tasks and timers whose time has come."""
        now = self.now()
        for task in list(self.tasks.values()):  # a task's end may start another (HA)
            if not task.done and task.end_at <= now:
                self.finish(task, now)
        due = [t for t in self.timers if t[0] <= now]
        if due:
            self.timers = [t for t in self.timers if t[0] > now]
            for _, function in sorted(due, key=lambda t: t[0]):
                function()
            self.changed()

    def finish(self, task, now):
        task.done, task.endtime = True, int(min(now, task.end_at))
        if task.ok:
            problems = [text for text in (check() for check in task.checks) if text]
            if problems:
                task.exitstatus = problems[0]
        if task.ok:
            for change in task.on_success:
                change()
        for change in task.on_end:
            change()
        self.changed()

    def start_task(self, node, kind, ident, user, lines, guest=None, lock=None, seconds=None):
        """A running task; its changes are added to task.on_success by the caller.
        An injection for its type decides how it ends and how long it takes."""
        if seconds is None:
            seconds = self.config["migrate_seconds"] if kind in ("qmigrate", "vzmigrate") \
                else self.config["task_seconds"]
        exitstatus, unknown_polls = "OK", 0
        for inj in self.injections:
            if inj["type"] == kind and inj["count"] > 0:
                inj["count"] -= 1
                exitstatus = inj.get("exitstatus", "OK")
                seconds = float(inj.get("seconds", seconds))
                unknown_polls = int(inj.get("unknown_polls", 0))
                break
        self.injections = [i for i in self.injections if i["count"] > 0]
        task = Task(self, node, kind, ident, user, seconds, exitstatus, lines)
        task.unknown_polls = unknown_polls  # its first status polls answer 404, as just after creation
        if guest is not None:
            self.check_unlocked(guest)
            guest["task"] = task.upid
            guest["lock"] = lock or TASK_LOCKS.get(kind)

            def unlock():
                guest["task"], guest["lock"] = None, None
            task.on_end.append(unlock)
        self.tasks[task.upid] = task
        self.changed()
        return task

    def check_unlocked(self, g):
        if g["lock"]:
            raise ApiError(500, "VM is locked (%s)" % g["lock"])
        if g["task"]:
            folder = "qemu-server" if g["type"] == "qemu" else "lxc"
            raise ApiError(500, "can't lock file '/var/lock/%s/lock-%d.conf' - got timeout"
                           % (folder, g["vmid"]))

    def task(self, node, upid):
        task = self.tasks.get(upid)
        if task is None or task.node != node:
            raise ApiError(500, "no such task")
        return task

    def after(self, seconds, function):
        self.timers.append((self.now() + seconds, function))

    # -- nodes --------------------------------------------------------------

    def set_online(self, name, online):
        node = self.node(name)
        if node["online"] == online:
            return
        node["online"] = online
        if online:
            node["boot"] = self.now()
        elif self.config.get("ha_recovery_seconds") is not None:
            self.after(float(self.config["ha_recovery_seconds"]), lambda: self.ha_recover(name))
        self.changed()

    def reboot(self, name):
        """The node goes away for reboot_seconds; its guests stop, and those
        with onboot start again when it is back."""
        self.set_online(name, False)
        for g in self.guests.values():
            if g["node"] == name:
                g["was_running"] = g["status"] == "running"
                g["status"], g["started"] = "stopped", None

        def back():
            self.set_online(name, True)
            for g in self.guests.values():
                if g["node"] == name and g.pop("was_running", False) and g["onboot"]:
                    g["status"], g["started"] = "running", self.now()
        self.after(float(self.config["reboot_seconds"]), back)

    def ha_recover(self, failed):
        """HA fences an offline node: its HA guests start on an allowed online node."""
        if self.nodes[failed]["online"]:
            return
        for g in self.guests.values():
            sid = self.ha_sid(g)
            if g["node"] != failed or sid is None:
                continue
            allowed = [n for n in self.allowed_nodes(sid) if self.nodes[n]["online"]]
            if allowed:
                g["node"] = allowed[0]
                if self.ha_resources[sid]["state"] == "started":
                    g["status"], g["started"] = "running", self.now()

    def remove_ha_resource(self, sid):
        """No longer HA-managed: out of the resources and of every rule."""
        self.ha_resources.pop(sid, None)
        for name, rule in list(self.ha_rules.items()):
            members = [m for m in rule["resources"].split(",") if m != sid]
            if members:
                rule["resources"] = ",".join(members)
            else:
                del self.ha_rules[name]

    def allowed_nodes(self, sid):
        for rule in self.ha_rules.values():
            if rule["type"] == "node-affinity" and sid in rule["resources"].split(","):
                return [n.split(":")[0] for n in rule["nodes"].split(",")]
        return sorted(self.nodes)

    # -- storage ------------------------------------------------------------

    def storage(self, name):
        if name not in self.storages:
            raise ApiError(500, "storage '%s' does not exist" % name)
        return self.storages[name]

    def add_backup(self, storage, node, g, ctime):
        stamp = time.gmtime(ctime)
        if self.storages[storage]["type"] == "pbs":
            volid = "%s:backup/%s/%d/%s" % (storage, "vm" if g["type"] == "qemu" else "ct", g["vmid"],
                                            time.strftime("%Y-%m-%dT%H:%M:%SZ", stamp))
            fmt = "pbs-vm" if g["type"] == "qemu" else "pbs-ct"
        else:
            ext = "vma.zst" if g["type"] == "qemu" else "tar.zst"
            volid = "%s:backup/vzdump-%s-%d-%s.%s" % (storage, g["type"], g["vmid"],
                                                     time.strftime("%Y_%m_%d-%H_%M_%S", stamp), ext)
            fmt = ext
        backup = {"volid": volid, "storage": storage, "node": node, "vmid": g["vmid"],
                  "ctime": int(ctime), "size": g["maxdisk"] // 10, "format": fmt,
                  "subtype": g["type"], "notes": g["name"], "protected": 0,
                  "config": {k: g[k] for k in ("name", "maxmem", "cpus", "maxdisk")}}
        self.backups.append(backup)
        return backup

    def backups_on(self, storage, node):
        """The archives a node sees on a storage: all of a shared one, its own of a local one."""
        shared = self.storages[storage]["shared"]
        return [b for b in self.backups if b["storage"] == storage and (shared or b["node"] == node)]

    def find_backup(self, volid):
        for b in self.backups:
            if b["volid"] == volid:
                return b
        raise ApiError(500, "volume '%s' does not exist" % volid)

    def snapshot_state(self):
        """For /_sim/state: the cluster as JSON, without internal handles."""
        guests = []
        for g in sorted(self.guests.values(), key=lambda g: g["vmid"]):
            guests.append({k: v for k, v in g.items() if k != "snapshots"} |
                          {"snapshots": [s["name"] for s in g["snapshots"]]})
        return copy.deepcopy({"cluster": self.name, "nodes": list(self.nodes.values()),
                              "guests": guests, "config": self.config,
                              "quorate": self.quorate(), "clock_offset": self.clock_offset})
