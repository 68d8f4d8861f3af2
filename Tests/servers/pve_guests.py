"""Simulated operations on guests, written once for qemu and lxc.

Power, migration (one guest, or all of a node), snapshots, config, create,
restore and destroy: each change happens when its task ends, and the guest
is locked until then.
"""

import re

from pve_cluster import guest_record
from pve_ops import HANDLERS, KINDS, MIB, digest, op
from pve_state import GIB, ApiError


def guest_ops(kind):
    """Registers every guest operation under /nodes/{node}/KIND (qemu or lxc)."""
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

            def run(user):
                task = r.c.start_task(g["node"], prefix + action, g["vmid"], user,
                                      ["%s %s %d (%s) on node '%s'" % (action, word, g["vmid"], g["name"],
                                                                       g["node"])], guest=g)

                def done():
                    g["status"] = wanted
                    g["started"] = r.c.now() if wanted == "running" else None
                task.on_success.append(done)
                return task.upid
            if action in HA_REQUESTS:
                return via_ha(r, g, action, run) or run(r.user)
            return run(r.user)
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
        return (via_ha(r, g, "migrate", lambda user: start_migration(r, g, target, user))
                or start_migration(r, g, target, r.user))

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


HA_REQUESTS = {"start": ("hastart", "started"), "stop": ("hastop", "stopped"),
               "shutdown": ("hastop", "stopped"), "migrate": ("hamigrate", None)}


def via_ha(r, g, action, run):
    """With the config's ha_redirect on, an HA-managed guest's start, stop,
    shutdown or migration only asks HA, as PVE does: the caller gets the UPID
    of a short hastart/hastop/hamigrate task, and when that ends, HA's own
    task (by root@pam) does the work; a client that trusts the first UPID
    is wrong. None when the guest is not HA-managed or the option is off."""
    sid = r.c.ha_sid(g)
    if not (sid and r.c.config.get("ha_redirect")):
        return None
    kind, state = HA_REQUESTS[action]
    word = KINDS[g["type"]][1]
    if state:
        r.c.ha_resources[sid]["state"] = state
    task = r.c.start_task(g["node"], kind, g["vmid"], r.user,
                          ["Requesting HA %s for %s %d" % (action, word, g["vmid"])])

    def hand_over():
        try:
            run("root@pam")
        except ApiError:
            pass  # locked or gone: HA would try again later; the simulator does not
    task.on_success.append(hand_over)
    return task.upid


def start_migration(r, g, target, user):
    prefix, word = KINDS[g["type"]]
    node = r.c.nodes[target]
    lines = ["starting migration of %s %d to node '%s' (%s)" % (word, g["vmid"], target, node["ip"])]
    if g["status"] == "running":
        lines.append("starting online/live migration")
    lines.append("migration finished successfully")
    kind = "qmigrate" if g["type"] == "qemu" else "vzmigrate"  # not "qmmigrate"
    task = r.c.start_task(g["node"], kind, g["vmid"], user, lines, guest=g)

    def target_online():
        if not r.c.nodes[target]["online"]:
            return "migration aborted: node '%s' is offline" % target
        return None

    def moved():
        g["node"] = target
    task.checks.append(target_online)
    task.on_success.append(moved)
    return task.upid


@op("POST", "/nodes/{node}/migrateall")
def migrate_all(r):
    """One `migrateall` task moves the node's guests (or `vms`) to the target,
    max-workers at a time: it takes that many rounds of migrate_seconds."""
    node, target = r.p["node"], r.p["target"]
    if target == node:
        raise ApiError(500, "target is local node.")
    if not r.c.node(target)["online"]:
        raise ApiError(500, "target node '%s' not online" % target)
    wanted = {int(v) for v in re.split(r"[,;\s]+", r.p["vms"]) if v} if "vms" in r.p else None
    guests = [g for g in r.c.guests.values() if g["node"] == node and (wanted is None or g["vmid"] in wanted)]
    for g in guests:
        r.c.check_unlocked(g)
    workers = r.p.get("max-workers") or r.p.get("maxworkers") or 1
    rounds = -(-len(guests) // workers)
    lines = ["migrate %s %d to node '%s'" % (KINDS[g["type"]][1], g["vmid"], target) for g in guests]
    task = r.c.start_task(node, "migrateall", "", r.user, lines or ["no guests to migrate"],
                          seconds=rounds * r.c.config["migrate_seconds"])
    for g in guests:
        g["lock"], g["task"] = "migrate", task.upid

    def unlock():
        for g in guests:
            g["lock"], g["task"] = None, None

    def target_online():
        return None if r.c.nodes[target]["online"] else "migration aborted: node '%s' is offline" % target

    def moved():
        for g in guests:
            g["node"] = target
    task.checks.append(target_online)
    task.on_success.append(moved)
    task.on_end.append(unlock)
    return task.upid


def remove_guest(cluster, g):
    cluster.guests.pop(g["vmid"], None)
    sid = cluster.ha_sid(g)
    if sid:
        cluster.remove_ha_resource(sid)


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
