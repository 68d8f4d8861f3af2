#!/usr/bin/env python3
"""A Proxmox VE cluster for the tests: HTTPS, stateful, checked against the real API's schema.

    pve_sim.py serve DIR     serve until killed; DIR gets the certificate, the
                             log, violations.jsonl and, once both listeners
                             answer, pve.env (the variables below)

Python standard library only; the certificate is made per run with the
openssl CLI. Everything listens on 127.0.0.1 only. servers.py starts it with
the other test servers; Tests/pve/ has its own checks. This file is the
HTTPS side (listeners, auth, control); pve_schema.py routes and checks by
the schema, pve_state.py is the cluster, pve_api.py gathers the operations
(pve_cluster, pve_guests, pve_storage, pve_ha).

THE CONTRACT (the labsh client's tests rely on it; keep it)

API, https://127.0.0.1:PORT/api2/json/...
  - Routed by schemas/pve-api-9.1.json: an unknown path or method is 501.
    Parameters (query for GET/DELETE; form-urlencoded or JSON body for POST/PUT)
    are checked as PVE does: 400 {"data": null, "errors": {"name": "message"}}.
  - Every answer's `data` is checked against the operation's `returns`; a
    violation is kept (GET /_sim/violations) and appended to DIR/violations.jsonl,
    and `servers.py stop` then fails the run, printing them. An exception in
    the simulator (a bug of its own) answers 500 and is recorded the same way.
  - Auth: `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET` where the
    operation has allowtoken 1, or a ticket from POST /access/ticket
    (username, password; also password = a valid ticket, to renew it) sent as
    the PVEAuthCookie cookie, with the CSRFPreventionToken header on every
    write. Tickets expire after 2 h of simulated time. Else 401.
  - Privileges per caller: the full token and root@pam have all; the limited
    token and audit@pve have VM.Audit and Sys.Audit. A failed check is 403
    `Permission check failed (/vms/101, VM.PowerMgmt)`, from the operation's
    `permissions` in the schema; /cluster/resources lists only what the
    caller may audit. Errors carry PVE's message in the status line's reason
    and in the body's "message".
  - Calls proxied to a node (`proxyto: node`) that is offline answer 595
    "No route to host"; writes without quorum 500 "cluster not ready - no quorum?".
  - Guests change only through tasks (UPID:node:PID:PSTART:STARTTIME:type:id:user:)
    that take `task_seconds` (migrations `migrate_seconds`); while one runs the
    guest is locked: another operation answers 500 "VM is locked (migrate)" or
    "can't lock file ...". Task status `running`/`stopped` with exitstatus
    `OK`, `WARNINGS: n` or an error text; the log has `WARN:` lines and ends
    with `TASK OK` / `TASK WARNINGS: n` / `TASK ERROR: ...`. A failed task
    changes nothing. A node's reboot (POST /nodes/NODE/status) takes it offline
    for `reboot_seconds`; its guests stop, and those with onboot start again.
  - Seeded from Tests/pve/homelab-seed.json (labsh's built-in homelab: nodes
    pve1-pve5, its Proxmox guests with VMIDs 101.., HA resources and one
    node-affinity rule per HA group, storages local, local-lvm and pbs with
    three daily backups per guest on pbs, prune-backups keep-last=2).

Test control, no auth, https://127.0.0.1:PORT/_sim/... (JSON in and out)
  POST /_sim/reset                         back to the seed, default config, no injections
  POST /_sim/seed {"nodes": N, "guests": M}     a synthetic cluster (benchmarks)
  POST /_sim/node/NODE/offline | /online
  POST /_sim/inject {"type": "qmigrate", "exitstatus": "WARNINGS: 2", "seconds": 1.0, "count": 1,
                     "unknown_polls": 0}
                                           how the next COUNT tasks of TYPE end (and
                                           how many of their first status polls answer 404)
  POST /_sim/fail {"status": 596, "message": "Connection timed out", "delay": 0,
                   "count": 1, "path": "/cluster", "listener": "1"}
                                           the next COUNT API calls under PATH (default:
                                           any) to LISTENER (default: either) wait DELAY
                                           seconds, then answer STATUS (default: as usual)
  POST /_sim/config {"task_seconds": 0.2, "migrate_seconds": 1.0,
                     "reboot_seconds": 1.0, "ha_recovery_seconds": null, "ha_redirect": false}
                                           ha_recovery_seconds: HA moves an offline node's
                                           HA guests to an allowed online node after that long;
                                           ha_redirect: start/stop/shutdown/migrate of an
                                           HA guest answer the UPID of a short hastart/hastop/
                                           hamigrate task; HA's own task does the work after it
  GET  /_sim/violations                    {"violations": [...]}
  POST /_sim/listener/2/down | /up         the second listener refuses connections (and
                                           breaks its open ones), or not; /listener/1/ too
  POST /_sim/break-returns {"count": 1}    corrupt the next COUNT API answers (tests the checker)
  POST /_sim/clock {"advance": SECONDS}    move the simulated clock forward
  GET  /_sim/state                         nodes, guests, config (for debugging a test)

Variables in DIR/pve.env (servers.py exports them into servers.env)
  LABSH_TEST_PVE_URL, LABSH_TEST_PVE_URL2 (the second listener: "pve2", same state),
  LABSH_TEST_PVE_FINGERPRINT (SHA-256 of the certificate's DER, AB:CD:...),
  LABSH_TEST_PVE_CA (the certificate file), LABSH_TEST_PVE_TOKEN (root@pam!labsh=SECRET),
  LABSH_TEST_PVE_LIMITED_TOKEN (audit@pve!ro=SECRET), LABSH_TEST_PVE_USER,
  LABSH_TEST_PVE_PASSWORD, LABSH_TEST_PVE_LIMITED_USER, LABSH_TEST_PVE_LIMITED_PASSWORD,
  LABSH_TEST_PVE_CONTROL (https://127.0.0.1:PORT/_sim).
"""

import base64
import hashlib
import hmac
import http.server
import json
import os
import secrets
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pve_api  # noqa: E402
from pve_schema import Denied, ParamError, Schema, check_permissions  # noqa: E402
from pve_state import ApiError, Cluster  # noqa: E402

TICKET_LIFETIME = 7200
NODE_OF_LISTENER = {"1": "pve1", "2": "pve2"}  # the node each URL is the address of
VIOLATIONS_FILE = "violations.jsonl"
LIMITED_PRIVILEGES = {"VM.Audit", "Sys.Audit"}
ALL_PRIVILEGES = set()  # every privilege the schema names; filled by Simulator


class Caller:
    """Who calls: the user (and token), its privileges, the node it talks to."""

    def __init__(self, userid, tokenid, privileges, local_node):
        self.userid, self.tokenid, self.local_node = userid, tokenid, local_node
        self._privileges = privileges       # None: all of them
        self.root = privileges is None

    def has(self, path, priv):
        return self.root or priv in self._privileges

    def privileges(self):
        return ALL_PRIVILEGES if self.root else self._privileges

    @property
    def name(self):
        """As a task's UPID names it: user@realm or user@realm!token."""
        return self.tokenid or self.userid


def all_privileges(schema):
    found = set()

    def walk(expr):
        if isinstance(expr, list) and expr and expr[0] == "perm":
            found.update(expr[2])
        elif isinstance(expr, list) and expr and expr[0] in ("and", "or"):
            for sub in expr[1:]:
                walk(sub)
    for ops in schema.paths.values():
        for operation in ops.values():
            walk((operation.get("permissions") or {}).get("check"))
    return found


class Simulator:
    """The state behind both listeners: cluster, schema, credentials, violations."""

    def __init__(self, directory):
        self.dir = directory
        self.schema = Schema()
        global ALL_PRIVILEGES
        ALL_PRIVILEGES = all_privileges(self.schema)
        self.cluster = Cluster()
        self.key = secrets.token_bytes(32)
        self.passwords = {"root@pam": secrets.token_urlsafe(12), "audit@pve": secrets.token_urlsafe(12)}
        self.user_privileges = {"root@pam": None, "audit@pve": LIMITED_PRIVILEGES}
        # Token secrets are UUIDs, as PVE makes them.
        self.tokens = {"root@pam!labsh": (str(uuid.uuid4()), None),
                       "audit@pve!ro": (str(uuid.uuid4()), LIMITED_PRIVILEGES)}
        self.violations = []
        self.break_returns = 0
        self.faults = []
        self.cache = {}
        self.listeners = {}

    # -- tickets ------------------------------------------------------------

    def sign(self, text):
        return base64.b64encode(hmac.new(self.key, text.encode(), hashlib.sha256).digest()).decode()

    def ticket(self, user):
        stamp = "%08X" % int(self.cluster.now())
        plain = "PVE:%s:%s" % (user, stamp)
        return plain + "::" + self.sign(plain), stamp + ":" + self.sign("csrf:%s:%s" % (user, stamp))

    def ticket_user(self, ticket):
        """The user of a valid, unexpired ticket, else None."""
        plain, _, signature = ticket.partition("::")
        parts = plain.split(":")
        if len(parts) != 3 or parts[0] != "PVE" or not hmac.compare_digest(self.sign(plain), signature):
            return None
        age = self.cluster.now() - int(parts[2], 16)
        return parts[1] if -300 <= age < TICKET_LIFETIME else None

    def csrf_valid(self, user, token):
        stamp, _, signature = (token or "").partition(":")
        return hmac.compare_digest(self.sign("csrf:%s:%s" % (user, stamp)), signature)

    # -- violations ---------------------------------------------------------

    def record_violation(self, method, path, problems):
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "method": method,
                 "path": path, "problems": problems[:20]}
        self.violations.append(entry)
        with open(os.path.join(self.dir, VIOLATIONS_FILE), "a") as f:
            f.write(json.dumps(entry) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, as pveproxy
    # headers and body go out in two writes: without TCP_NODELAY each answer
    # waited ~40 ms for the client's delayed ACK (every request, 10x slower)
    disable_nagle_algorithm = True
    server_version = "pve-api-daemon/3.0"
    sim = None                      # set per listener class

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.server.node_name, fmt % args))

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def send(self, status, body, reason=None):
        payload = json.dumps(body).encode() if not isinstance(body, bytes) else body
        # A reason phrase is one line of Latin-1: PVE puts its error message there.
        reason = (reason or "").replace("\n", " ").strip().encode("latin-1", "replace").decode("latin-1")
        self.send_response(status, reason or None)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "max-age=0")
        self.end_headers()
        self.wfile.write(payload)

    def send_error_answer(self, status, message, errors=None):
        body = {"data": None, "message": message.rstrip("\n") + "\n"}
        if errors:
            body["errors"] = errors
        self.send(status, body, message)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        if (self.headers.get("Content-Type") or "").startswith("application/json"):
            value = json.loads(raw)
            if not isinstance(value, dict):
                raise ApiError(400, "Parameter verification failed.", {"body": "not a JSON object"})
            return value
        return {k: v if len(v) > 1 else v[0]
                for k, v in urllib.parse.parse_qs(raw.decode(), keep_blank_values=True).items()}

    def handle_any(self, method):
        url = urllib.parse.urlsplit(self.path)
        try:
            if url.path.startswith("/_sim/") or url.path == "/_sim":
                self.control(method, url)
            elif url.path.startswith("/api2/json/") or url.path == "/api2/json":
                self.api(method, url)
            else:
                self.send_error_answer(501, "Unexpected content for path '%s'" % url.path)
        except ApiError as e:
            self.send_error_answer(e.status, e.message, e.errors)
        except (ValueError, json.JSONDecodeError) as e:
            self.send_error_answer(400, "Parameter verification failed.", {"body": str(e)})
        except (ConnectionError, ssl.SSLEOFError):  # the client left mid-answer (a run stopped): its choice, no bug
            self.close_connection = True
        except Exception as e:  # a bug of the simulator's: it fails the run like a violation
            with self.sim.cluster.lock:
                self.sim.record_violation(method, url.path, ["the simulator failed: %r" % e] +
                                          traceback.format_exc().splitlines()[-6:])
            self.send_error_answer(500, "simulator error: %r" % e)

    # -- the API ------------------------------------------------------------

    def api(self, method, url):
        sim = self.sim
        query = {k: v if len(v) > 1 else v[0]
                 for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        body = self.read_body() if method in ("POST", "PUT") else {}
        subpath = url.path[len("/api2/json"):] or "/"
        self.injected_fault(subpath)
        if subpath == "/access/ticket" and method == "POST":
            return self.issue_ticket({**query, **body})
        found = sim.schema.route(subpath)
        operation = found and sim.schema.operation(found[0], method)
        if not operation:
            raise ApiError(501, "Method '%s %s' not implemented" % (method, subpath))
        template, variables = found
        caller = self.authenticate(method, operation)
        with sim.cluster.lock:
            sim.cluster.tick()
            try:
                params = sim.schema.check_params(operation, {**query, **body, **variables})
            except ParamError as e:
                raise ApiError(400, "Parameter verification failed.", e.errors)
            try:
                check_permissions(operation.get("permissions"), params, caller)
            except Denied as e:
                raise ApiError(403, str(e))
            self.check_reachable(method, operation, template, params)
            # /cluster/resources of a 2,000-guest benchmark cluster is built,
            # checked and encoded once per state and second, not per call.
            cache_key = None
            if (method, template) == ("GET", "/cluster/resources") and not sim.break_returns:
                cache_key = (params.get("type"), frozenset(caller.privileges()), sim.cluster.generation,
                             int(time.monotonic()))
            payload = sim.cache.get(cache_key) if cache_key else None
            if payload is None:
                data = self.answer(method, template, operation, params, caller)
                problems = sim.schema.check_returns(operation.get("returns"), data)
                if problems:
                    sim.record_violation(method, url.path, problems)
                payload = b'{"data":' + json.dumps(data).encode() + b"}"
                if cache_key:
                    sim.cache = {cache_key: payload}
        self.send(200, payload)

    def injected_fault(self, subpath):
        """A fault from POST /_sim/fail: a delay (outside the state's lock,
        so other calls go on), then an error status, for this call."""
        sim = self.sim
        with sim.cluster.lock:
            fault = next((f for f in sim.faults if f["count"] > 0
                          and subpath.startswith(f.get("path", "/"))
                          and str(f.get("listener", self.server.number)) == self.server.number), None)
            if fault is None:
                return
            fault["count"] -= 1
            sim.faults = [f for f in sim.faults if f["count"] > 0]
        time.sleep(float(fault.get("delay", 0)))
        if fault.get("status"):
            raise ApiError(int(fault["status"]), fault.get("message", "injected failure"))

    def answer(self, method, template, operation, params, caller):
        sim = self.sim
        handler = pve_api.HANDLERS.get((method, template))
        if handler:
            data = handler(pve_api.Request(sim.cluster, params, caller.name, caller))
        elif method == "GET" and "subdir" in json.dumps(operation.get("returns", {}).get("items", {})):
            data = pve_api.directory_index(sim.schema, template)
        else:
            raise ApiError(501, "Method '%s %s' not implemented by the simulator" % (method, template))
        if sim.break_returns > 0:
            sim.break_returns -= 1
            data = 42 if (operation.get("returns") or {}).get("type") == "string" else "broken"
        return data

    def check_reachable(self, method, operation, template, params):
        cluster = self.sim.cluster
        if operation.get("proxyto") == "node" and "node" in params:
            if not cluster.node(params["node"])["online"]:
                raise ApiError(595, "No route to host")
        if method != "GET" and not cluster.quorate() and not template.startswith("/access"):
            raise ApiError(500, "cluster not ready - no quorum?")

    def authenticate(self, method, operation):
        sim = self.sim
        if (operation.get("permissions") or {}).get("user") == "world":
            return Caller("nobody@pve", None, set(), self.server.node_name)
        header = self.headers.get("Authorization") or ""
        if header.startswith("PVEAPIToken="):
            tokenid, _, secret = header[len("PVEAPIToken="):].strip().partition("=")
            known = sim.tokens.get(tokenid)
            if not known or not hmac.compare_digest(known[0], secret):
                raise ApiError(401, "invalid token value!")
            if not operation.get("allowtoken"):
                raise ApiError(401, "API token not allowed for this method")
            return Caller(tokenid.split("!")[0], tokenid, known[1], self.server.node_name)
        cookies = {}
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            cookies[name] = urllib.parse.unquote(value)
        ticket = cookies.get("PVEAuthCookie")
        if not ticket:
            raise ApiError(401, "No ticket")
        user = sim.ticket_user(ticket)
        if user is None:
            raise ApiError(401, "invalid PVE ticket")
        if method != "GET" and not sim.csrf_valid(user, self.headers.get("CSRFPreventionToken")):
            raise ApiError(401, "Permission denied - invalid csrf token")
        return Caller(user, None, sim.user_privileges[user], self.server.node_name)

    def issue_ticket(self, params):
        sim = self.sim
        operation = sim.schema.operation("/access/ticket", "POST")
        try:
            params = sim.schema.check_params(operation, params)
        except ParamError as e:
            raise ApiError(400, "Parameter verification failed.", e.errors)
        user = params["username"]
        if "@" not in user:
            user += "@" + params.get("realm", "pam")
        password = params["password"]
        with sim.cluster.lock:
            valid = user in sim.passwords and (
                hmac.compare_digest(sim.passwords[user], password) or sim.ticket_user(password) == user)
            if not valid:
                raise ApiError(401, "authentication failure")
            ticket, csrf = sim.ticket(user)
            data = {"username": user, "ticket": ticket, "CSRFPreventionToken": csrf,
                    "clustername": sim.cluster.name}
            problems = sim.schema.check_returns(operation["returns"], data)
            if problems:
                sim.record_violation("POST", "/api2/json/access/ticket", problems)
        self.send(200, {"data": data})

    # -- test control -------------------------------------------------------

    def control(self, method, url):
        sim, cluster = self.sim, self.sim.cluster
        parts = [p for p in url.path.split("/") if p][1:]
        body = self.read_body() if method == "POST" else {}
        with cluster.lock:
            cluster.tick()
            answer = {"ok": True}
            if method == "GET" and parts == ["violations"]:
                answer = {"violations": sim.violations}
            elif method == "GET" and parts == ["state"]:
                answer = cluster.snapshot_state()
            elif method != "POST":
                raise ApiError(501, "unknown control %s %s" % (method, url.path))
            elif parts == ["reset"]:
                cluster.clock_offset = 0.0
                cluster.reset()
                sim.faults, sim.break_returns = [], 0
            elif parts == ["fail"]:
                check_fields(body, {"status": int, "message": str, "delay": (int, float), "count": int,
                                    "path": str, "listener": str})
                sim.faults.append(dict(body, count=body.get("count", 1)))
            elif parts == ["seed"]:
                cluster.synthetic(int(body.get("nodes", 50)), int(body.get("guests", 2000)))
            elif len(parts) == 3 and parts[0] == "node" and parts[2] in ("offline", "online"):
                cluster.set_online(parts[1], parts[2] == "online")
            elif parts == ["inject"]:
                check_fields(body, {"type": str, "exitstatus": str, "seconds": (int, float),
                                    "count": int, "unknown_polls": int}, required=("type",))
                cluster.injections.append(dict(body, count=body.get("count", 1)))
            elif parts == ["config"]:
                number = (int, float)
                check_fields(body, {"task_seconds": number, "migrate_seconds": number,
                                    "reboot_seconds": number, "ha_recovery_seconds": (int, float, type(None)),
                                    "ha_redirect": bool})
                cluster.config.update(body)
            elif len(parts) == 3 and parts[0] == "listener" and parts[1] in NODE_OF_LISTENER \
                    and parts[2] in ("down", "up"):
                self.server.switch_listener(parts[1], parts[2] == "up", keep=self.connection)
            elif parts == ["break-returns"]:
                sim.break_returns += int(body.get("count", 1))
            elif parts == ["clock"]:
                cluster.clock_offset += float(body.get("advance", 0))
                cluster.changed()
            else:
                raise ApiError(501, "unknown control POST %s" % url.path)
            cluster.changed()
        self.send(200, answer)


def check_fields(body, types, required=()):
    """A control request's JSON: known fields of the right types, else 400."""
    errors = {name: "unknown field" for name in body if name not in types}
    errors.update({name: "must be %s" % getattr(types[name], "__name__", "a number")
                   for name, value in body.items()
                   if name in types and (not isinstance(value, types[name])
                                         or (isinstance(value, bool) and types[name] is not bool))})
    errors.update({name: "missing" for name in required if name not in body})
    if errors:
        raise ApiError(400, "bad control request", errors)


class Listener(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """One HTTPS listener; the TLS handshake happens in the connection's thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, context, number, node_name, switch_listener):
        self.context, self.number, self.node_name = context, number, node_name
        self.switch_listener = switch_listener
        self.connections, self.connections_lock = set(), threading.Lock()
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that refused our certificate (a pin test), or went away
        with self.connections_lock:
            self.connections.add(request)
        try:
            super().finish_request(request, client_address)
        finally:
            with self.connections_lock:
                self.connections.discard(request)
            try:
                request.close()
            except OSError:
                pass

    def drop_connections(self, keep=None):
        """A node that goes down breaks its open (keep-alive) connections too."""
        with self.connections_lock:
            doomed = [c for c in self.connections if c is not keep]
        for connection in doomed:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)


def make_certificate(directory):
    cert, key = os.path.join(directory, "pve-cert.pem"), os.path.join(directory, "pve-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return cert, key


def fingerprint(cert_file):
    with open(cert_file) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def serve(directory):
    os.makedirs(directory, exist_ok=True)
    cert, key = make_certificate(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sim = Simulator(directory)
    handler = type("SimHandler", (Handler,), {"sim": sim})
    listeners, threads, ports = {}, {}, {}
    guard = threading.Lock()

    def start(number, node_name, port):
        server = Listener(("127.0.0.1", port), handler, context, number, node_name, switch)
        listeners[number], ports[number] = server, server.server_address[1]
        threads[number] = threading.Thread(target=server.serve_forever, daemon=True)
        threads[number].start()

    def switch(number, up, keep=None):
        with guard:
            if up and number not in listeners:
                start(number, NODE_OF_LISTENER[number], ports[number])
            elif not up and number in listeners:
                server = listeners.pop(number)
                server.shutdown()
                server.server_close()
                server.drop_connections(keep)

    for number, node_name in NODE_OF_LISTENER.items():
        start(number, node_name, 0)
    base = "https://127.0.0.1:%d" % ports["1"]
    env = {
        "LABSH_TEST_PVE_URL": base,
        "LABSH_TEST_PVE_URL2": "https://127.0.0.1:%d" % ports["2"],
        "LABSH_TEST_PVE_FINGERPRINT": fingerprint(cert),
        "LABSH_TEST_PVE_CA": cert,
        "LABSH_TEST_PVE_TOKEN": "root@pam!labsh=" + sim.tokens["root@pam!labsh"][0],
        "LABSH_TEST_PVE_LIMITED_TOKEN": "audit@pve!ro=" + sim.tokens["audit@pve!ro"][0],
        "LABSH_TEST_PVE_USER": "root@pam",
        "LABSH_TEST_PVE_PASSWORD": sim.passwords["root@pam"],
        "LABSH_TEST_PVE_LIMITED_USER": "audit@pve",
        "LABSH_TEST_PVE_LIMITED_PASSWORD": sim.passwords["audit@pve"],
        "LABSH_TEST_PVE_CONTROL": base + "/_sim",
    }
    # Written last and renamed into place: its presence means "ready".
    env_file = os.path.join(directory, "pve.env")
    with open(env_file + ".tmp", "w") as f:
        f.write("".join("%s=%s\n" % item for item in sorted(env.items())))
    os.rename(env_file + ".tmp", env_file)
    while True:
        time.sleep(3600)


def read_env(env_file):
    with open(env_file) as f:
        return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)


def violations_report(directory):
    """The recorded schema violations as text for a failing run, or ''."""
    path = os.path.join(directory, VIOLATIONS_FILE)
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    lines = ["the Proxmox VE simulator sent %d answer(s) that break schemas/pve-api-9.1.json:" % len(entries)]
    for e in entries:
        lines.append("  %s %s" % (e["method"], e["path"]))
        lines += ["    " + p for p in e["problems"]]
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) != 3 or argv[1] != "serve":
        sys.stderr.write("usage: pve_sim.py serve DIR\n")
        return 2
    serve(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
