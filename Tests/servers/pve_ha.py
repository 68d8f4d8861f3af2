"""Simulated HA: resources, rules (PVE 9's node and resource affinity) and status."""

import time

from pve_guests import start_migration
from pve_ops import digest, op
from pve_state import ApiError


def ha_sid_param(text):
    """A resource ID as PVE reads it: "101" is "vm:101"."""
    return text if ":" in text else "vm:" + text


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
    sid = ha_sid_param(r.p["sid"])
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
    res = ha_resource(r, ha_sid_param(r.p["sid"]))
    return dict(res, digest=digest(res))


@op("PUT", "/cluster/ha/resources/{sid}")
def ha_set(r):
    res = ha_resource(r, ha_sid_param(r.p["sid"]))
    for field in ("state", "comment", "max_restart", "max_relocate", "failback"):
        if field in r.p:
            res[field] = r.p[field]
    for field in (r.p.get("delete") or "").split(","):
        if field.strip() == "comment":
            res.pop("comment", None)
    r.c.changed()
    return None


@op("DELETE", "/cluster/ha/resources/{sid}")
def ha_remove(r):
    sid = ha_sid_param(r.p["sid"])
    ha_resource(r, sid)
    r.c.remove_ha_resource(sid)
    r.c.changed()
    return None


@op("POST", "/cluster/ha/resources/{sid}/migrate")
def ha_migrate(r):
    sid = ha_sid_param(r.p["sid"])
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
    # What the rule's type requires (the schema marks these per type-property).
    needed = {"node-affinity": "nodes", "resource-affinity": "affinity"}[r.p["type"]]
    if needed not in r.p:
        raise ApiError(400, "Parameter verification failed.",
                       {needed: "property is missing and it is not optional"})
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
