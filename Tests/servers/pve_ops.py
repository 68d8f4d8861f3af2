"""The simulator's table of operations and what each handler gets.

A handler is registered for one (method, schema path) with @op; it gets a
Request (the cluster, the checked parameters, who calls) and returns the
`data` of the answer, or raises pve_state.ApiError.
"""

import hashlib
import json

HANDLERS = {}
MIB = 1 << 20
KINDS = {"qemu": ("qm", "VM"), "lxc": ("vz", "CT")}  # task prefix, PVE's word in messages


def op(method, path):
    def register(function):
        HANDLERS[(method, path)] = function
        return function
    return register


class Request:
    def __init__(self, cluster, params, user, caller):
        self.c, self.p, self.user, self.caller = cluster, params, user, caller


def digest(value):
    """A config digest, as PVE returns with configs (SHA-1 of the content)."""
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
