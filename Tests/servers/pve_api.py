"""What the simulated operations do: one function per (method, schema path).

Each gets a Request (the cluster, the checked parameters, who calls) and
returns the `data` of the answer, or raises ApiError. Guest operations are
written once for qemu and lxc. Writes that take time return a UPID and act
when their task ends (pve_state.Task). GET of a directory (`/nodes/{node}/qemu/{vmid}`)
is answered from the schema's paths (directory_index); any other operation
the schema has but nothing here implements answers 501.
"""

import hashlib
import json
import time

from pve_state import ApiError, GIB

HANDLERS = {}
MIB = 1 << 20
KINDS = {"qemu": ("qm", "VM"), "lxc": ("vz", "CT")}


def op(method, path):
    def register(function):
        HANDLERS[(method, path)] = function
        return function
    return register


class Request:
    def __init__(self, cluster, params, user, caller):
        self.c, self.p, self.user, self.caller = cluster, params, user, caller


def digest(value):
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def directory_index(schema, template):
    return [{"subdir": name} for name in schema.children(template)]


# -- cluster, nodes ----------------------------------------------------------

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
    online = sum(n["online"] for n in r.c.nodes.values())
    items = [{"type": "cluster", "id": "cluster", "name": r.c.name, "nodes": len(r.c.nodes),
              "quorate": 1 if r.c.quorate() else 0, "version": len(r.c.nodes) + 2}]
    for n in r.c.nodes.values():
        items.append({"type": "node", "id": "node/" + n["name"], "name": n["name"],
                      "nodeid": n["nodeid"], "ip": n["ip"], "online": 1 if n["online"] else 0,
                      "local": 1 if n["name"] == r.caller.local_node else 0, "level": ""})
    assert online <= len(r.c.nodes)
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
    kind = r.p.get("type")
    items = []
    if kind in (None, "node"):
        items += [node_record(r, n) for n in r.c.nodes.values()]
    if kind in (None, "vm"):
        items += [guest_record(r, g) for g in r.c.guests.values()]
    if kind in (None, "storage"):
        items += storage_records(r)
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


# -- guests ------------------------------------------------------------------

def guest_ops(kind):
    prefix, word = KINDS[kind]
    base = "/nodes/{node}/%s" % kind
    one = base + "/{vmid}"

    def get(r):
        return r.c.guest(r.p["node"], r.p["vmid"], kind)

    def guest_list(r):
        return [{k: v for k, v in guest_record(r, g).items() if k not in ("id", "type", "node", "maxcpu")}
                | {"cpus": g["cpus"]}
                for g in r.c.guests.values() if g["node"] == r.p["node"] and g["type"] == kind]

    def status_current(r):
        g = get(r)
        record = {k: v for k, v in guest_record(r, g).items() if k not in ("id", "type", "node", "maxcpu")}
        record["cpus"] = g["cpus"]
        sid = r.c.ha_sid(g)
        record["ha"] = ({"managed": 1, "state": r.c.ha_resources[sid]["state"]} if sid
                        else {"managed": 0})
        if kind == "qemu":
            record["qmpstatus"] = g["status"]
            if g["status"] == "running":
                record["pid"] = 10000 + g["vmid"]
        return record

    def power(action, wanted):
        def handler(r):
            g = get(r)
            r.c.check_unlocked(g)
            if action == "start" and g["status"] == "running":
                raise ApiError(500, "%s %d already running" % (word, g["vmid"]))
            if action in ("shutdown", "reboot") and g["status"] != "running":
                raise ApiError(500, "%s %d not running" % (word, g["vmid"]))
            task = r.c.start_task(r.p["node"], prefix + action, g["vmid"], r.user,
                                  ["%s %s %d (%s) on node '%s'" % (action, word, g["vmid"], g["name"],
                                                                   r.p["node"])], guest=g)

            def done():
                g["status"] = wanted
                g["started"] = r.c.now() if wanted == "running" else None
            task.on_success.append(done)
            return task.upid
        return handler

    def migrate_check(r):
        g = get(r)
        others = [n for n, node in r.c.nodes.items() if n != g["node"] and node["online"]]
        return {"running": 1 if g["status"] == "running" else 0, "allowed_nodes": others,
                "local_disks": [], "local_resources": [], "mapped-resources": [],
                "mapped-resource-info": {}, "has-dbus-vmstate": 0}

    def migrate(r):
        g = get(r)
        target = r.p["target"]
        if target == g["node"]:
            raise ApiError(500, "target is local node.")
        if not r.c.node(target)["online"]:
            raise ApiError(500, "target node '%s' not online" % target)
        if g["status"] == "running" and not (r.p.get("online") or r.p.get("restart")):
            raise ApiError(500, "can't migrate running %s without --online" % word)
        r.c.check_unlocked(g)
        return start_migration(r, g, target, r.user)

    def config(r):
        g = get(r)
        conf = {"digest": digest(g), "onboot": g["onboot"], "cores": g["cpus"]}
        if kind == "qemu":
            conf.update(name=g["name"], memory=str(g["maxmem"] // MIB), sockets=1,
                        scsi0="local-lvm:vm-%d-disk-0,size=%dG" % (g["vmid"], g["maxdisk"] // GIB))
        else:
            conf.update(hostname=g["name"], memory=g["maxmem"] // MIB, swap=512,
                        rootfs="local-lvm:vm-%d-disk-0,size=%dG" % (g["vmid"], g["maxdisk"] // GIB))
        if g["tags"]:
            conf["tags"] = g["tags"]
        if g["lock"]:
            conf["lock"] = g["lock"]
        return conf

    def set_config(r):
        g = get(r)
        if not r.p.get("skiplock"):
            r.c.check_unlocked(g)
        if "memory" in r.p:
            g["maxmem"] = int(str(r.p["memory"]).replace("current=", "").split(",")[0]) * MIB
        if "cores" in r.p:
            g["cpus"] = r.p["cores"]
        for field in ("name", "hostname"):
            if field in r.p:
                g["name"] = r.p[field]
        for field in ("onboot", "tags"):
            if field in r.p:
                g[field] = r.p[field]
        r.c.changed()
        return None

    def destroy(r):
        g = get(r)
        r.c.check_unlocked(g)
        if g["status"] == "running":
            raise ApiError(500, "%s %d is running - destroy failed" % (word, g["vmid"]))
        sid = r.c.ha_sid(g)
        if sid and not r.p.get("purge"):
            raise ApiError(500, "unable to remove %s %d - used in HA resources and purge parameter "
                                "not set." % (word, g["vmid"]))
        task = r.c.start_task(r.p["node"], prefix + "destroy", g["vmid"], r.user,
                              ["destroying %s %d" % (word, g["vmid"])], guest=g, lock="destroyed")
        task.on_success.append(lambda: remove_guest(r.c, g))
        return task.upid

    def snapshots(r):
        g = get(r)
        items = [dict(s) for s in g["snapshots"]]
        current = {"name": "current", "description": "You are here!",
                   "running": 1 if g["status"] == "running" else 0}
        if g["snapshots"]:
            current["parent"] = g["snapshots"][-1]["name"]
        return items + [current]

    def snapshot(r):
        g = get(r)
        name = r.p["snapname"]
        if any(s["name"] == name for s in g["snapshots"]) or name == "current":
            raise ApiError(500, "snapshot name '%s' already used" % name)
        task = r.c.start_task(r.p["node"], prefix + "snapshot", g["vmid"], r.user,
                              ["snapshotting '%s' of %s %d" % (name, word, g["vmid"])], guest=g)
        record = {"name": name, "snaptime": int(r.c.now()), "vmstate": r.p.get("vmstate", 0),
                  "description": r.p.get("description", "")}
        if g["snapshots"]:
            record["parent"] = g["snapshots"][-1]["name"]
        task.on_success.append(lambda: g["snapshots"].append(record))
        return task.upid

    def find_snapshot(g, name):
        for s in g["snapshots"]:
            if s["name"] == name:
                return s
        raise ApiError(500, "snapshot '%s' does not exist" % name)

    def delete_snapshot(r):
        g = get(r)
        snap = find_snapshot(g, r.p["snapname"])
        task = r.c.start_task(r.p["node"], prefix + "delsnapshot", g["vmid"], r.user,
                              ["delete snapshot '%s'" % snap["name"]], guest=g)
        task.on_success.append(lambda: g["snapshots"].remove(snap))
        return task.upid

    def rollback(r):
        g = get(r)
        snap = find_snapshot(g, r.p["snapname"])
        task = r.c.start_task(r.p["node"], prefix + "rollback", g["vmid"], r.user,
                              ["rollback to snapshot '%s'" % snap["name"]], guest=g)

        def done():
            if not snap.get("vmstate"):
                g["status"], g["started"] = "stopped", None
            if r.p.get("start"):
                g["status"], g["started"] = "running", r.c.now()
        task.on_success.append(done)
        return task.upid

    HANDLERS[("GET", base)] = guest_list
    HANDLERS[("POST", base)] = lambda r: create_guest(r, kind)
    HANDLERS[("DELETE", one)] = destroy
    HANDLERS[("GET", one + "/status/current")] = status_current
    for action, wanted in (("start", "running"), ("stop", "stopped"),
                           ("shutdown", "stopped"), ("reboot", "running")):
        HANDLERS[("POST", one + "/status/" + action)] = power(action, wanted)
    HANDLERS[("GET", one + "/migrate")] = migrate_check
    HANDLERS[("POST", one + "/migrate")] = migrate
    HANDLERS[("GET", one + "/config")] = config
    HANDLERS[("PUT", one + "/config")] = set_config
    HANDLERS[("GET", one + "/snapshot")] = snapshots
    HANDLERS[("POST", one + "/snapshot")] = snapshot
    HANDLERS[("DELETE", one + "/snapshot/{snapname}")] = delete_snapshot
    HANDLERS[("POST", one + "/snapshot/{snapname}/rollback")] = rollback


def start_migration(r, g, target, user):
    prefix, word = KINDS[g["type"]]
    node = r.c.nodes[target]
    lines = ["starting migration of %s %d to node '%s' (%s)" % (word, g["vmid"], target, node["ip"])]
    if g["status"] == "running":
        lines.append("starting online/live migration")
    lines.append("migration finished successfully")
    kind = "qmigrate" if g["type"] == "qemu" else "vzmigrate"  # not "qmmigrate"
    task = r.c.start_task(g["node"], kind, g["vmid"], user, lines, guest=g)

    def moved():
        g["node"] = target
    task.on_success.append(moved)
    return task.upid


def remove_guest(cluster, g):
    cluster.guests.pop(g["vmid"], None)
    sid = cluster.ha_sid(g)
    if sid:
        remove_ha_resource(cluster, sid)


def create_guest(r, kind):
    """POST /nodes/{node}/qemu|lxc: a new guest, or a restore when given an archive."""
    prefix, word = KINDS[kind]
    vmid = r.p["vmid"]
    archive = r.p.get("archive") if kind == "qemu" else (r.p.get("ostemplate") if r.p.get("restore") else None)
    existing = r.c.guests.get(vmid)
    if existing and not (archive and r.p.get("force")):
        raise ApiError(500, "unable to create %s %d - %s %d already exists on node '%s'"
                       % (word, vmid, word, vmid, existing["node"]))
    if existing:
        r.c.check_unlocked(existing)
        if existing["status"] == "running":
            raise ApiError(500, "unable to restore %s %d - %s is running" % (word, vmid, word))
    if archive:
        backup = r.c.find_backup(archive)
        if backup["storage"] not in r.c.storages or (
                not r.c.storages[backup["storage"]]["shared"] and backup["node"] != r.p["node"]):
            raise ApiError(500, "volume '%s' does not exist" % archive)
        if backup["subtype"] != kind:
            raise ApiError(500, "archive '%s' is not a %s backup" % (archive, "VM" if kind == "qemu" else "CT"))
        conf = backup["config"]
        name, ram, cpus, disk = conf["name"], conf["maxmem"], conf["cpus"], conf["maxdisk"]
        action = "restore"
        lines = ["restore %s backup '%s' to %s %d" % ("vma" if kind == "qemu" else "tar", archive, word, vmid)]
    else:
        memory = r.p.get("memory", 512)
        name = r.p.get("name") or r.p.get("hostname") or "%s%d" % (word.lower(), vmid)
        ram = int(str(memory).replace("current=", "").split(",")[0]) * MIB
        cpus, disk, action = r.p.get("cores", 1), 8 * GIB, "create"
        lines = ["create %s %d" % (word, vmid)]
    g = r.c.make_guest(vmid, name, kind, r.p["node"], ram, cpus, disk, running=False)
    g["lock"] = "create"
    r.c.guests[vmid] = g
    task = r.c.start_task(r.p["node"], prefix + action, vmid, r.user, lines)
    g["task"] = task.upid

    def ended():
        g["lock"], g["task"] = None, None
        if not task.ok:
            r.c.guests.pop(vmid, None)
            if existing:
                r.c.guests[vmid] = existing
        elif r.p.get("start"):
            g["status"], g["started"] = "running", r.c.now()
    task.on_end.append(ended)
    r.c.changed()
    return task.upid


guest_ops("qemu")
guest_ops("lxc")


# -- backups -----------------------------------------------------------------

@op("POST", "/nodes/{node}/vzdump")
def vzdump(r):
    node = r.p["node"]
    if r.p.get("all"):
        guests = [g for g in r.c.guests.values() if g["node"] == node]
    else:
        if "vmid" not in r.p:
            raise ApiError(400, "Parameter verification failed.",
                           {"vmid": "property is missing and it is not optional"})
        guests = []
        for text in r.p["vmid"].replace(";", ",").split(","):
            g = r.c.guests.get(int(text))
            if g is None or g["node"] != node:
                raise ApiError(500, "guest %s is not on node '%s'" % (text.strip(), node))
            guests.append(g)
    storage = r.p.get("storage", "local")
    if "backup" not in r.c.storage(storage)["content"].split(","):
        raise ApiError(500, "storage '%s' does not support backups" % storage)
    for g in guests:
        r.c.check_unlocked(g)
    ident = str(guests[0]["vmid"]) if len(guests) == 1 else ""
    lines = ["INFO: starting new backup job: vzdump %s --storage %s"
             % (" ".join(str(g["vmid"]) for g in guests), storage)]
    for g in guests:
        lines += ["INFO: Starting Backup of VM %d (%s)" % (g["vmid"], g["type"]),
                  "INFO: Finished Backup of VM %d" % g["vmid"]]
    lines.append("INFO: Backup job finished successfully")
    task = r.c.start_task(node, "vzdump", ident, r.user, lines)
    for g in guests:
        g["lock"], g["task"] = "backup", task.upid

    def unlock():
        for g in guests:
            g["lock"], g["task"] = None, None

    def archives():
        for g in guests:
            r.c.add_backup(storage, node, g, r.c.now())
    task.on_success.append(archives)
    task.on_end.append(unlock)
    return task.upid


@op("GET", "/storage")
def storages(r):
    return [{"storage": name, "type": s["type"], "content": s["content"], "shared": s["shared"],
             "digest": digest(s)} | ({"prune-backups": s["prune-backups"]} if "prune-backups" in s else {})
            for name, s in r.c.storages.items() if r.p.get("type") in (None, s["type"])]


def storage_status(r, name):
    s = r.c.storages[name]
    used = s["total"] // 4
    return {"storage": name, "type": s["type"], "content": s["content"], "shared": s["shared"],
            "active": 1, "enabled": 1, "total": s["total"], "used": used, "avail": s["total"] - used,
            "used_fraction": 0.25}


@op("GET", "/nodes/{node}/storage")
def node_storages(r):
    wanted = set(r.p["content"].split(",")) if "content" in r.p else None
    return [storage_status(r, name) for name, s in r.c.storages.items()
            if r.p.get("storage") in (None, name)
            and (wanted is None or wanted & set(s["content"].split(",")))]


@op("GET", "/nodes/{node}/storage/{storage}/status")
def one_storage(r):
    r.c.storage(r.p["storage"])
    status = storage_status(r, r.p["storage"])
    del status["storage"], status["used_fraction"]
    return status


def backup_item(b):
    return {"volid": b["volid"], "content": "backup", "format": b["format"], "size": b["size"],
            "ctime": b["ctime"], "vmid": b["vmid"], "subtype": b["subtype"], "notes": b["notes"],
            "protected": b["protected"]}


@op("GET", "/nodes/{node}/storage/{storage}/content")
def storage_content(r):
    name, node = r.p["storage"], r.p["node"]
    s = r.c.storage(name)
    wanted = r.p.get("content")
    items = []
    if wanted in (None, "backup"):
        items += [backup_item(b) for b in r.c.backups_on(name, node)]
    if wanted in (None, "images") and "images" in s["content"]:
        items += [{"volid": "%s:vm-%d-disk-0" % (name, g["vmid"]), "content": "images", "format": "raw",
                   "size": g["maxdisk"], "vmid": g["vmid"]}
                  for g in r.c.guests.values() if g["node"] == node]
    if "vmid" in r.p:
        items = [i for i in items if i["vmid"] == r.p["vmid"]]
    return items


def volume(r):
    r.c.storage(r.p["storage"])
    backup = r.c.find_backup(r.p["volume"])
    if backup["storage"] != r.p["storage"]:
        raise ApiError(500, "volume '%s' does not exist" % r.p["volume"])
    return backup


@op("GET", "/nodes/{node}/storage/{storage}/content/{volume}")
def volume_info(r):
    b = volume(r)
    return {"format": b["format"], "size": b["size"], "used": b["size"], "notes": b["notes"],
            "protected": b["protected"], "path": "/mnt/%s/%s" % (b["storage"], b["volid"].split(":", 1)[1])}


@op("PUT", "/nodes/{node}/storage/{storage}/content/{volume}")
def volume_update(r):
    b = volume(r)
    for field in ("notes", "protected"):
        if field in r.p:
            b[field] = r.p[field]
    r.c.changed()
    return None


@op("DELETE", "/nodes/{node}/storage/{storage}/content/{volume}")
def volume_delete(r):
    b = volume(r)
    if b["protected"]:
        raise ApiError(500, "cannot delete protected backup")
    task = r.c.start_task(r.p["node"], "imgdel", b["volid"], r.user, ["removing '%s'" % b["volid"]])
    task.on_success.append(lambda: r.c.backups.remove(b) if b in r.c.backups else None)
    return task.upid


def parse_prune(text):
    options = {}
    for part in (text or "").split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            options[key.strip()] = int(value)
    return options


BUCKETS = (("keep-last", None), ("keep-hourly", "%Y/%m/%d/%H"), ("keep-daily", "%Y/%m/%d"),
           ("keep-weekly", "%G/%V"), ("keep-monthly", "%Y/%m"), ("keep-yearly", "%Y"))


def prune_marks(backups, options):
    """PVE's prune selection: per guest, newest first, each keep-* option keeps
    the newest backup of up to N time buckets not kept already."""
    marks = {}
    keep_all = options.get("keep-all") or not any(options.get(k) for k, _ in BUCKETS)
    groups = {}
    for b in backups:
        groups.setdefault((b["subtype"], b["vmid"]), []).append(b)
    for group in groups.values():
        group.sort(key=lambda b: -b["ctime"])
        for b in group:
            if b["protected"]:
                marks[b["volid"]] = "protected"
            elif keep_all:
                marks[b["volid"]] = "keep"
        for option, fmt in BUCKETS:
            limit = options.get(option)
            if not limit or keep_all:
                continue
            taken, new = set(), set()
            for b in group:
                key = b["ctime"] if fmt is None else time.strftime(fmt, time.gmtime(b["ctime"]))
                if b["volid"] in marks:
                    taken.add(key)
                    continue
                if key in taken or key in new:
                    continue
                if len(new) >= limit:
                    break
                new.add(key)
                marks[b["volid"]] = "keep"
        for b in group:
            marks.setdefault(b["volid"], "remove")
    return marks


def prune_selection(r):
    s = r.c.storage(r.p["storage"])
    backups = [b for b in r.c.backups_on(r.p["storage"], r.p["node"])
               if r.p.get("vmid") in (None, b["vmid"]) and r.p.get("type") in (None, b["subtype"])]
    return backups, prune_marks(backups, parse_prune(r.p.get("prune-backups", s.get("prune-backups"))))


@op("GET", "/nodes/{node}/storage/{storage}/prunebackups")
def prune_list(r):
    backups, marks = prune_selection(r)
    return [{"volid": b["volid"], "ctime": b["ctime"], "mark": marks[b["volid"]],
             "type": b["subtype"], "vmid": b["vmid"]} for b in backups]


@op("DELETE", "/nodes/{node}/storage/{storage}/prunebackups")
def prune(r):
    backups, marks = prune_selection(r)
    doomed = [b for b in backups if marks[b["volid"]] == "remove"]
    task = r.c.start_task(r.p["node"], "prunebackups", r.p["storage"], r.user,
                          ["removing backup '%s'" % b["volid"] for b in doomed] or ["nothing to prune"])

    def remove():
        for b in doomed:
            if b in r.c.backups:
                r.c.backups.remove(b)
    task.on_success.append(remove)
    return task.upid


# -- tasks -------------------------------------------------------------------

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
        item = {k: v for k, v in t.status().items() if k not in ("status", "exitstatus")}
        if t.done:
            item.update(status=t.exitstatus, endtime=t.endtime)
        items.append(item)
    start = r.p.get("start", 0)
    return items[start:start + r.p.get("limit", 50)]


@op("GET", "/nodes/{node}/tasks/{upid}/status")
def task_status(r):
    return r.c.task(r.p["node"], r.p["upid"]).status()


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


# -- HA ----------------------------------------------------------------------

def ha_sid_param(r, text):
    sid = text if ":" in text else "vm:" + text
    return sid


def ha_resource(r, sid):
    if sid not in r.c.ha_resources:
        raise ApiError(500, "no such resource '%s'" % sid)
    return r.c.ha_resources[sid]


@op("GET", "/cluster/ha/resources")
def ha_resources(r):
    return [dict(res, digest=digest(res)) for res in r.c.ha_resources.values()
            if r.p.get("type") in (None, res["type"])]


@op("POST", "/cluster/ha/resources")
def ha_add(r):
    sid = ha_sid_param(r, r.p["sid"])
    if sid in r.c.ha_resources:
        raise ApiError(500, "resource ID '%s' already defined" % sid)
    vmid = int(sid.split(":")[1])
    if vmid not in r.c.guests:
        raise ApiError(500, "unable to find VM '%d'" % vmid)
    record = {"sid": sid, "type": sid[:2], "state": r.p.get("state", "started"),
              "max_restart": r.p.get("max_restart", 1), "max_relocate": r.p.get("max_relocate", 1),
              "failback": r.p.get("failback", 1)}
    if "comment" in r.p:
        record["comment"] = r.p["comment"]
    r.c.ha_resources[sid] = record
    r.c.changed()
    return None


@op("GET", "/cluster/ha/resources/{sid}")
def ha_get(r):
    res = ha_resource(r, ha_sid_param(r, r.p["sid"]))
    return dict(res, digest=digest(res))


@op("PUT", "/cluster/ha/resources/{sid}")
def ha_set(r):
    res = ha_resource(r, ha_sid_param(r, r.p["sid"]))
    for field in ("state", "comment", "max_restart", "max_relocate", "failback"):
        if field in r.p:
            res[field] = r.p[field]
    for field in (r.p.get("delete") or "").split(","):
        res.pop(field.strip(), None) if field.strip() in ("comment",) else None
    r.c.changed()
    return None


def remove_ha_resource(cluster, sid):
    cluster.ha_resources.pop(sid, None)
    for name, rule in list(cluster.ha_rules.items()):
        members = [m for m in rule["resources"].split(",") if m != sid]
        if members:
            rule["resources"] = ",".join(members)
        else:
            del cluster.ha_rules[name]


@op("DELETE", "/cluster/ha/resources/{sid}")
def ha_remove(r):
    sid = ha_sid_param(r, r.p["sid"])
    ha_resource(r, sid)
    remove_ha_resource(r.c, sid)
    r.c.changed()
    return None


@op("POST", "/cluster/ha/resources/{sid}/migrate")
def ha_migrate(r):
    sid = ha_sid_param(r, r.p["sid"])
    ha_resource(r, sid)
    g = r.c.guests[int(sid.split(":")[1])]
    target = r.p["node"]
    if not r.c.node(target)["online"]:
        raise ApiError(500, "node '%s' is not online" % target)
    if target != g["node"]:
        r.c.check_unlocked(g)
        start_migration(r, g, target, "root@pam")
    return {"sid": sid, "requested-node": target}


RULE_FIELDS = ("type", "resources", "nodes", "strict", "affinity", "comment", "disable")


@op("GET", "/cluster/ha/rules")
def ha_rules(r):
    items = []
    for order, rule in enumerate(r.c.ha_rules.values()):
        if r.p.get("type") not in (None, rule["type"]):
            continue
        if "resource" in r.p and r.p["resource"] not in rule["resources"].split(","):
            continue
        items.append(dict(rule, digest=digest(rule), order=order + 1))
    return items


@op("POST", "/cluster/ha/rules")
def ha_rule_add(r):
    name = r.p["rule"]
    if name in r.c.ha_rules:
        raise ApiError(500, "rule '%s' already defined" % name)
    if r.p["type"] == "node-affinity" and "nodes" not in r.p:
        raise ApiError(400, "Parameter verification failed.", {"nodes": "property is missing and it is not optional"})
    if r.p["type"] == "resource-affinity" and "affinity" not in r.p:
        raise ApiError(400, "Parameter verification failed.", {"affinity": "property is missing and it is not optional"})
    r.c.ha_rules[name] = {"rule": name} | {f: r.p[f] for f in RULE_FIELDS if f in r.p}
    r.c.changed()
    return None


def ha_rule(r):
    if r.p["rule"] not in r.c.ha_rules:
        raise ApiError(500, "no such rule '%s'" % r.p["rule"])
    return r.c.ha_rules[r.p["rule"]]


@op("GET", "/cluster/ha/rules/{rule}")
def ha_rule_get(r):
    rule = ha_rule(r)
    return dict(rule, digest=digest(rule))


@op("PUT", "/cluster/ha/rules/{rule}")
def ha_rule_set(r):
    rule = ha_rule(r)
    rule.update({f: r.p[f] for f in RULE_FIELDS if f in r.p and f != "type"})
    for field in (r.p.get("delete") or "").split(","):
        if field.strip() in ("comment", "disable", "strict", "nodes"):
            rule.pop(field.strip(), None)
    r.c.changed()
    return None


@op("DELETE", "/cluster/ha/rules/{rule}")
def ha_rule_remove(r):
    ha_rule(r)
    del r.c.ha_rules[r.p["rule"]]
    r.c.changed()
    return None


@op("GET", "/cluster/ha/status/current")
def ha_status(r):
    now = int(r.c.now())
    online = [n for n, node in r.c.nodes.items() if node["online"]]
    master = online[0] if online else next(iter(r.c.nodes))
    items = [{"id": "quorum", "type": "quorum", "node": master, "quorate": 1 if r.c.quorate() else 0,
              "status": "OK" if r.c.quorate() else "No quorum on node '%s'!" % master},
             {"id": "master", "type": "master", "node": master, "timestamp": now,
              "status": "%s (active, %s)" % (master, time.ctime(now))}]
    for name, node in r.c.nodes.items():
        state = "active" if node["online"] else "old timestamp - dead?"
        items.append({"id": "lrm:" + name, "type": "lrm", "node": name, "timestamp": now,
                      "status": "%s (%s, %s)" % (name, state, time.ctime(now))})
    for sid, res in r.c.ha_resources.items():
        g = r.c.guests.get(int(sid.split(":")[1]))
        node = g["node"] if g else master
        state = res["state"]
        if g and g["lock"] == "migrate":
            state = "migrate"
        elif g and not r.c.nodes[node]["online"]:
            state = "fence"
        items.append({"id": "service:" + sid, "type": "service", "sid": sid, "node": node,
                      "state": state, "crm_state": state, "request_state": res["state"],
                      "max_restart": res["max_restart"], "max_relocate": res["max_relocate"],
                      "failback": res["failback"], "status": "%s (%s, %s)" % (sid, node, state)})
    return items
