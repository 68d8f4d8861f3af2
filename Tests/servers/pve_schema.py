"""The Proxmox VE API schema as the simulator's contract (schemas/pve-api-9.1.json).

Three jobs, all driven by the schema and nothing else:
  - route: a request path to its template (`/nodes/{node}/qemu/{vmid}/status/start`)
    and the template's variables;
  - check parameters as PVE does (its JSONSchema.pm messages), coercing the
    strings of a query or form body to the declared types;
  - check a response's `data` against the operation's `returns`, so the
    simulator cannot send what the real API never would;
and evaluates an operation's `permissions` against a caller's privileges.
"""

import json
import os
import re
import urllib.parse

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "..", "schemas", "pve-api-9.1.json")

BOOL_TRUE = ("1", "true", "yes", "on")
BOOL_FALSE = ("0", "false", "no", "off")
INTEGER = re.compile(r"^[+-]?\d+$")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

# The few named formats worth checking: the ones a client gets wrong (a node
# or storage name with a typo'd character). Others pass as plain strings.
FORMATS = {
    "pve-node": (re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$"),
                 "value does not look like a valid node name"),
    "pve-storage-id": (re.compile(r"^[a-z][a-z0-9\-_.]*[a-z0-9]$", re.I),
                       "invalid format - storage ID"),
    "pve-configid": (re.compile(r"^[a-z][a-z0-9_-]+$", re.I),
                     "invalid format - invalid configuration ID"),
    "pve-vmid-list": (re.compile(r"^\d+([,;\s]+\d+)*$"),
                      "invalid format - value does not look like a valid VM ID list"),
}


def perl_regex(pattern):
    """PVE's patterns are Perl's, matched whole: translate what Python lacks.
    None when Python cannot compile it (the pattern is then not checked)."""
    text = pattern.replace("(?^", "(?").replace("\\z", "\\Z")
    try:
        return re.compile(r"^(?:%s)$" % text)
    except re.error:
        return None


class ParamError(Exception):
    """400 Parameter verification failed, with a message per parameter."""

    def __init__(self, errors):
        super().__init__("Parameter verification failed.")
        self.errors = errors


class Schema:
    def __init__(self, path=SCHEMA_FILE):
        with open(path) as f:
            self.paths = json.load(f)["paths"]
        # Templates by number of segments; literal segments win over variables,
        # earlier ones first, so /cluster/ha/status/current beats a {var} there.
        self.routes = {}
        for template in self.paths:
            segments = template.strip("/").split("/") if template != "/" else []
            self.routes.setdefault(len(segments), []).append((template, segments))
        for entries in self.routes.values():
            entries.sort(key=lambda e: [s.startswith("{") for s in e[1]])
        self._patterns = {}

    def route(self, path):
        """(template, variables) for a request path under /api2/json (still
        percent-encoded: a volume ID's '/' arrives as %2F), or None."""
        segments = [urllib.parse.unquote(s) for s in path.split("/") if s]
        for template, parts in self.routes.get(len(segments), []):
            variables = {}
            for part, segment in zip(parts, segments):
                if part.startswith("{"):
                    variables[part[1:-1]] = segment
                elif part != segment:
                    break
            else:
                return template, variables
        return None

    def operation(self, template, method):
        return self.paths.get(template, {}).get(method)

    def children(self, template):
        """The next path segments below a template: a directory index's subdirs."""
        prefix = template.rstrip("/") + "/"
        names = set()
        for other in self.paths:
            if other.startswith(prefix):
                names.add(other[len(prefix):].split("/")[0])
        return sorted(n for n in names if not n.startswith("{"))

    # -- parameters ---------------------------------------------------------

    def check_params(self, operation, params):
        """The parameters coerced to their types; ParamError with PVE's
        per-parameter messages when any is wrong. params: name -> value (a
        string from a query or form, a JSON value from a JSON body, or a list
        for a repeated form field)."""
        schema = operation.get("parameters", {})
        properties = schema.get("properties", {})
        errors, result = {}, {}
        for name, value in params.items():
            prop = properties.get(name) or properties.get(re.sub(r"\d+$", "[n]", name))
            if prop is None:
                if schema.get("additionalProperties", 1) == 0:
                    errors[name] = ("property is not defined in schema and the schema "
                                    "does not allow additional properties")
                else:
                    result[name] = value
                continue
            try:
                result[name] = self.coerce(prop, value)
            except ValueError as e:
                errors[name] = str(e)
        for name, prop in properties.items():
            if "[n]" in name:
                continue
            if name not in params and not prop.get("optional"):
                errors[name] = "property is missing and it is not optional"
            required = prop.get("requires")
            if name in params and isinstance(required, str) and required not in params:
                errors[required] = "missing property - '%s' requires this property" % name
        if errors:
            raise ParamError(errors)
        return result

    def coerce(self, prop, value):
        kind = prop.get("type", "string")
        if kind == "array":
            values = value if isinstance(value, list) else [value]
            return [self.coerce(prop.get("items", {}), v) for v in values]
        if isinstance(value, list):
            value = value[-1]
        if kind == "boolean":
            return self.coerce_boolean(value)
        if kind == "integer":
            number = self.coerce_integer(value)
        elif kind == "number":
            number = self.coerce_number(value)
        else:
            return self.check_string(prop, value)
        self.check_range(prop, number)
        return number

    @staticmethod
    def coerce_boolean(value):
        if value is True or value is False:
            return 1 if value else 0
        text = str(value).lower()
        if text in BOOL_TRUE:
            return 1
        if text in BOOL_FALSE:
            return 0
        raise ValueError("type check ('boolean') failed - got '%s'" % value)

    @staticmethod
    def coerce_integer(value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and INTEGER.match(value):
            return int(value)
        raise ValueError("type check ('integer') failed - got '%s'" % value)

    @staticmethod
    def coerce_number(value):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and NUMBER.match(value):
            return float(value)
        raise ValueError("type check ('number') failed - got '%s'" % value)

    @staticmethod
    def check_range(prop, number):
        low, high = prop.get("minimum"), prop.get("maximum")
        if low is not None and number < float(low):
            raise ValueError("value must have a minimum value of %s" % low)
        if high is not None and number > float(high):
            raise ValueError("value must have a maximum value of %s" % high)

    def check_string(self, prop, value):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError("type check ('string') failed - got '%s'" % json.dumps(value))
        text = value if isinstance(value, str) else str(value)
        if "enum" in prop and text not in prop["enum"]:
            raise ValueError("value '%s' does not have a value in the enumeration '%s'"
                             % (text, ", ".join(prop["enum"])))
        if "maxLength" in prop and len(text) > int(prop["maxLength"]):
            raise ValueError("value may only be %s characters long" % prop["maxLength"])
        if "minLength" in prop and len(text) < int(prop["minLength"]):
            raise ValueError("value must be at least %s characters long" % prop["minLength"])
        pattern = self.pattern(prop.get("pattern"))
        if pattern is not None and not pattern.match(text):
            raise ValueError("value does not match the regex pattern")
        named = FORMATS.get(prop.get("format")) if isinstance(prop.get("format"), str) else None
        if named and not named[0].match(text):
            raise ValueError(named[1])
        return text

    def pattern(self, pattern):
        if pattern is None:
            return None
        if pattern not in self._patterns:
            self._patterns[pattern] = perl_regex(pattern)
        return self._patterns[pattern]

    # -- returns ------------------------------------------------------------

    def check_returns(self, schema, value, where="data"):
        """Every way value breaks the schema, as 'where: what' lines."""
        problems = []
        self._check_value(schema or {}, value, where, problems)
        return problems

    def _check_value(self, schema, value, where, problems):
        kind = schema.get("type")
        if value is None:
            if kind not in (None, "null") and not schema.get("optional"):
                problems.append("%s: null where the schema says %s" % (where, kind))
            return
        if kind == "null":
            problems.append("%s: %s where the schema says null" % (where, json.dumps(value)[:80]))
        elif kind == "object":
            self._check_object(schema, value, where, problems)
        elif kind == "array":
            if not isinstance(value, list):
                problems.append("%s: %s where the schema says an array" % (where, type(value).__name__))
                return
            items = schema.get("items", {})
            for i, item in enumerate(value):
                self._check_value(items, item, "%s[%d]" % (where, i), problems)
        elif kind == "string":
            if not isinstance(value, str):
                problems.append("%s: %s where the schema says a string" % (where, json.dumps(value)[:80]))
                return
            if "enum" in schema and value not in schema["enum"]:
                problems.append("%s: %r is not one of %s" % (where, value, schema["enum"]))
            pattern = self.pattern(schema.get("pattern"))
            if pattern is not None and not pattern.match(value):
                problems.append("%s: %r does not match %s" % (where, value, schema["pattern"]))
        elif kind in ("integer", "number"):
            numeric = (int,) if kind == "integer" else (int, float)
            if isinstance(value, bool) or not isinstance(value, numeric):
                problems.append("%s: %s where the schema says %s" % (where, json.dumps(value)[:80], kind))
                return
            low, high = schema.get("minimum"), schema.get("maximum")
            if low is not None and value < float(low):
                problems.append("%s: %s is below the minimum %s" % (where, value, low))
            if high is not None and value > float(high):
                problems.append("%s: %s is above the maximum %s" % (where, value, high))
        elif kind == "boolean":
            # PVE's JSON has booleans as 0/1 (Perl) or true/false.
            if value not in (0, 1) or (isinstance(value, float)):
                problems.append("%s: %s where the schema says a boolean" % (where, json.dumps(value)[:80]))
        elif "enum" in schema and value not in schema["enum"]:
            problems.append("%s: %r is not one of %s" % (where, value, schema["enum"]))

    def _check_object(self, schema, value, where, problems):
        if not isinstance(value, dict):
            problems.append("%s: %s where the schema says an object" % (where, type(value).__name__))
            return
        properties = schema.get("properties", {})
        for name, prop in properties.items():
            if "[n]" in name:
                continue
            if name not in value and not prop.get("optional"):
                problems.append("%s.%s: missing (not optional)" % (where, name))
        for name, item in value.items():
            prop = properties.get(name) or properties.get(re.sub(r"\d+$", "[n]", name))
            if prop is None:
                if schema.get("additionalProperties", 1) == 0:
                    problems.append("%s.%s: not in the schema (additionalProperties 0)" % (where, name))
                continue
            self._check_value(prop, item, "%s.%s" % (where, name), problems)


# -- permissions -------------------------------------------------------------

class Denied(Exception):
    """403 with PVE's text: 'Permission check failed (/vms/101, VM.PowerMgmt)'."""


def fill(path, variables):
    return re.sub(r"\{(\w[\w-]*)\}", lambda m: str(variables.get(m.group(1), m.group(0))), path)


def check_permissions(permissions, variables, caller):
    """Raise Denied unless caller may run an operation with these permissions.
    caller: .userid, .has(path, priv) and .root (all privileges)."""
    if permissions is None:
        if not caller.root:  # no permissions declared: root@pam only
            raise Denied("Permission check failed (user != root@pam)")
        return
    if permissions.get("user") == "world":
        return
    if "check" in permissions:
        _check(permissions["check"], variables, caller)


def _check(expr, variables, caller):
    kind = expr[0]
    if kind == "perm":
        path, privs = fill(expr[1], variables), expr[2]
        options = dict(zip(expr[3::2], expr[4::2]))
        if options.get("any"):
            if not any(caller.has(path, p) for p in privs):
                raise Denied("Permission check failed (%s, %s)" % (path, "|".join(privs)))
        else:
            for priv in privs:
                if not caller.has(path, priv):
                    raise Denied("Permission check failed (%s, %s)" % (path, priv))
    elif kind == "and":
        for sub in expr[1:]:
            _check(sub, variables, caller)
    elif kind == "or":
        failure = None
        for sub in expr[1:]:
            try:
                _check(sub, variables, caller)
                return
            except Denied as e:
                failure = e
        if failure:
            raise failure
    elif kind == "userid-param":
        if not (expr[1] == "self" and variables.get("userid") == caller.userid) and not caller.root:
            raise Denied("Permission check failed")
    elif not caller.root:  # userid-group, perm-modify...: only an all-privilege caller
        raise Denied("Permission check failed (%s)" % kind)
