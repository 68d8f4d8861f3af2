"""Simulated operations on storage: contents, backups (vzdump), prune, volumes."""

import time

from pve_ops import digest, op
from pve_state import ApiError


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
