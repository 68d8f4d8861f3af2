"""Simulated operations: version, nodes, cluster status and resources, permissions, tasks."""

from pve_ops import op
from pve_state import GIB, ApiError


@op("GET", "/version")
def version(r):
    return {"version": "9.1.3", "release": "9.1", "repoid": "e5010dc0"}


def node_mem(r, name):
    running = [g for g in r.c.guests.values() if g["node"] == name and g["status"] == "running"]
    node = r.c.nodes[name]
    return min(node["maxmem"], 2 * GIB + sum(g["maxmem"] // 2 for g in running))


def node_record(r, node):
    online = node["online"]
    record = {"node": node["name"], "id": "node/" + node["name"], "type": "node",
              "status": "online" if online else "offline", "level": "",
              "maxcpu": node["maxcpu"], "maxmem": node["maxmem"], "maxdisk": node["maxdisk"]}
    if online:
        record.update(cpu=0.05, mem=node_mem(r, node["name"]), disk=node["maxdisk"] // 5,
                      uptime=int(r.c.now() - node["boot"]))
    return record


@op("GET", "/nodes")
def nodes(r):
    return [node_record(r, n) for n in r.c.nodes.values()]


@op("GET", "/nodes/{node}/status")
def node_status(r):
    node = r.c.nodes[r.p["node"]]
    mem = node_mem(r, node["name"])
    return {"cpu": 0.05, "uptime": int(r.c.now() - node["boot"]), "loadavg": ["0.10", "0.20", "0.15"],
            "cpuinfo": {"cores": node["maxcpu"], "cpus": node["maxcpu"], "sockets": 1,
                        "model": "Simulated CPU"},
            "memory": {"total": node["maxmem"], "used": mem, "free": node["maxmem"] - mem,
                       "available": node["maxmem"] - mem},
            "rootfs": {"total": 100 * GIB, "used": 10 * GIB, "free": 90 * GIB, "avail": 90 * GIB},
            "pveversion": "pve-manager/9.1.3/e5010dc0", "kversion": "Linux 6.17.2-1-pve",
            "current-kernel": {"sysname": "Linux", "release": "6.17.2-1-pve",
                               "version": "#1 SMP PREEMPT_DYNAMIC PMX", "machine": "x86_64"},
            "boot-info": {"mode": "efi", "secureboot": 0}}


@op("POST", "/nodes/{node}/status")
def node_power(r):
    if r.p["command"] == "reboot":
        r.c.reboot(r.p["node"])
    else:
        r.c.set_online(r.p["node"], False)
    return None


@op("GET", "/cluster/status")
def cluster_status(r):
    items = [{"type": "cluster", "id": "cluster", "name": r.c.name, "nodes": len(r.c.nodes),
              "quorate": 1 if r.c.quorate() else 0, "version": len(r.c.nodes) + 2}]
    for n in r.c.nodes.values():
        items.append({"type": "node", "id": "node/" + n["name"], "name": n["name"],
                      "nodeid": n["nodeid"], "ip": n["ip"], "online": 1 if n["online"] else 0,
                      "local": 1 if n["name"] == r.caller.local_node else 0, "level": ""})
    return items


def guest_record(r, g):
    status = r.c.guest_status(g)
    record = {"id": "%s/%d" % (g["type"], g["vmid"]), "type": g["type"], "vmid": g["vmid"],
              "name": g["name"], "node": g["node"], "status": status, "template": 0,
              "maxmem": g["maxmem"], "maxcpu": g["cpus"], "maxdisk": g["maxdisk"], "disk": 0,
              "mem": g["maxmem"] // 2 if status == "running" else 0,
              "cpu": 0.02 if status == "running" else 0, "uptime": r.c.uptime(g),
              "netin": 0, "netout": 0, "diskread": 0, "diskwrite": 0}
    if g["tags"]:
        record["tags"] = g["tags"]
    if g["lock"]:
        record["lock"] = g["lock"]
    sid = r.c.ha_sid(g)
    if sid:
        record["hastate"] = r.c.ha_resources[sid]["state"]
    return record


def storage_records(r):
    items = []
    for node in r.c.nodes.values():
        for name, s in r.c.storages.items():
            items.append({"id": "storage/%s/%s" % (node["name"], name), "type": "storage",
                          "storage": name, "node": node["name"], "plugintype": s["type"],
                          "content": s["content"], "shared": s["shared"],
                          "status": "available" if node["online"] else "unknown",
                          "maxdisk": s["total"], "disk": s["total"] // 4})
    return items


@op("GET", "/cluster/resources")
def cluster_resources(r):
    """Everything the caller may see, as PVE filters it: nodes with Sys.Audit,
    guests with VM.Audit, storage with Datastore.Audit or AllocateSpace."""
    kind, may = r.p.get("type"), r.caller.has
    items = []
    if kind in (None, "node"):
        items += [node_record(r, n) for n in r.c.nodes.values()
                  if may("/nodes/" + n["name"], "Sys.Audit")]
    if kind in (None, "vm"):
        items += [guest_record(r, g) for g in r.c.guests.values()
                  if may("/vms/%d" % g["vmid"], "VM.Audit")]
    if kind in (None, "storage"):
        items += [s for s in storage_records(r)
                  if may("/storage/" + s["storage"], "Datastore.Audit")
                  or may("/storage/" + s["storage"], "Datastore.AllocateSpace")]
    return items


@op("GET", "/cluster/nextid")
def next_id(r):
    wanted = r.p.get("vmid")
    if wanted is not None:
        if wanted in r.c.guests:
            raise ApiError(400, "Parameter verification failed.", {"vmid": "VM %d already exists" % wanted})
        return wanted
    vmid = 100
    while vmid in r.c.guests:
        vmid += 1
    return vmid


@op("GET", "/access/permissions")
def permissions(r):
    return {"/": {priv: 1 for priv in sorted(r.caller.privileges())}}


@op("GET", "/access/ticket")
def ticket_probe(r):
    return None


# -- tasks -------------------------------------------------------------------

def task_item(t):
    """A task in a list: `status` is its exit status once it ended, absent before."""
    item = {k: v for k, v in t.status().items() if k not in ("status", "exitstatus")}
    if t.done:
        item.update(status=t.exitstatus, endtime=t.endtime)
    return item


@op("GET", "/nodes/{node}/tasks")
def tasks(r):
    items = []
    for t in sorted(r.c.tasks.values(), key=lambda t: -t.starttime):
        if t.node != r.p["node"]:
            continue
        if "vmid" in r.p and t.id != str(r.p["vmid"]):
            continue
        if "typefilter" in r.p and t.type != r.p["typefilter"]:
            continue
        if r.p.get("source") == "active" and t.done:
            continue
        items.append(task_item(t))
    start = r.p.get("start", 0)
    return items[start:start + r.p.get("limit", 50)]


@op("GET", "/cluster/tasks")
def cluster_tasks(r):
    """The cluster's recent tasks, newest first (HA's own ones among them)."""
    return [task_item(t) for t in sorted(r.c.tasks.values(), key=lambda t: -t.starttime)][:500]


@op("GET", "/pools")
def pools(r):
    return []  # the simulated cluster has no resource pools


@op("GET", "/nodes/{node}/tasks/{upid}/status")
def task_status(r):
    task = r.c.task(r.p["node"], r.p["upid"])
    if task.unknown_polls > 0:
        task.unknown_polls -= 1
        raise ApiError(404, "no such task")
    return task.status()


@op("GET", "/nodes/{node}/tasks/{upid}/log")
def task_log(r):
    lines = r.c.task(r.p["node"], r.p["upid"]).log()
    start = r.p.get("start", 0)
    return [{"n": start + i + 1, "t": text}
            for i, text in enumerate(lines[start:start + r.p.get("limit", 50)])]


@op("DELETE", "/nodes/{node}/tasks/{upid}")
def task_stop(r):
    task = r.c.task(r.p["node"], r.p["upid"])
    if not task.done:
        task.exitstatus = "interrupted by signal"
        r.c.finish(task, r.c.now())
    return None
