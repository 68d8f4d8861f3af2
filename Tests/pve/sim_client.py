"""Start a Proxmox VE simulator of one's own, and talk to it (standard library only).

The checks in Tests/pve/ use it: a simulator per test run keeps their
changes (and the violations they provoke on purpose) away from the one the
test servers share.
"""

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVERS = os.path.join(HERE, "..", "servers")
PVE_SIM = os.path.join(SERVERS, "pve_sim.py")


class Simulator:
    """pve_sim.py serve DIR/pve in a temporary DIR; .env holds its variables."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="labsh-pve-test.")
        self.pve_dir = os.path.join(self.dir, "pve")
        self.log = open(os.path.join(self.dir, "pve_sim.log"), "w")
        self.process = subprocess.Popen([sys.executable, PVE_SIM, "serve", self.pve_dir],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        env_file = os.path.join(self.pve_dir, "pve.env")
        deadline = time.monotonic() + 30
        while not os.path.exists(env_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("pve_sim.py did not start (log %s)" % self.log.name)
            time.sleep(0.05)
        with open(env_file) as f:
            self.env = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)

    def stop(self, remove=True):
        """Ends the simulator; its directory goes too unless remove is False
        (servers.py stop then reads its violations and removes it)."""
        self.process.terminate()
        self.process.wait(10)
        self.log.close()
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)


def tls_context(ca_file):
    return ssl.create_default_context(cafile=ca_file)


class Answer:
    def __init__(self, status, reason, body):
        self.status, self.reason, self.body = status, reason, body

    @property
    def data(self):
        return self.body.get("data") if isinstance(self.body, dict) else None

    def __repr__(self):
        return "<%d %s %s>" % (self.status, self.reason, json.dumps(self.body)[:300])


class Client:
    """HTTPS JSON calls with a token or a ticket: .get(path, **params) and friends."""

    def __init__(self, base, ca_file, token=None):
        self.base, self.token = base.rstrip("/"), token
        self.context = tls_context(ca_file)
        self.ticket = self.csrf = None
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                  urllib.request.HTTPSHandler(context=self.context))

    def login(self, user, password):
        answer = self.call("POST", "/access/ticket", username=user, password=password)
        if answer.status == 200:
            self.ticket, self.csrf = answer.data["ticket"], answer.data["CSRFPreventionToken"]
        return answer

    def call(self, method, path, headers=None, json_body=None, **params):
        url = self.base + ("/api2/json" + path if not path.startswith("/_sim") else path)
        data = None
        headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif method in ("POST", "PUT"):
            data = urllib.parse.urlencode(params).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif params:
            url += "?" + urllib.parse.urlencode(params)
        if self.token:
            headers["Authorization"] = "PVEAPIToken=" + self.token
        elif self.ticket:
            headers["Cookie"] = "PVEAuthCookie=" + urllib.parse.quote(self.ticket)
            if method != "GET" and self.csrf:
                headers["CSRFPreventionToken"] = self.csrf
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, response.reason, json.loads(response.read() or b"null"))
        except urllib.error.HTTPError as e:
            raw = e.read()
            return Answer(e.code, e.reason, json.loads(raw) if raw else None)

    def get(self, path, **params):
        return self.call("GET", path, **params)

    def post(self, path, **params):
        return self.call("POST", path, **params)

    def put(self, path, **params):
        return self.call("PUT", path, **params)

    def delete(self, path, **params):
        return self.call("DELETE", path, **params)

    def control(self, what, **body):
        return self.call("POST", "/_sim/" + what, json_body=body)

    def wait(self, upid, timeout=30):
        """The task's final status, polling as a client would."""
        node = upid.split(":")[1]
        path = "/nodes/%s/tasks/%s/status" % (node, urllib.parse.quote(upid, safe=""))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.get(path).data
            if status["status"] == "stopped":
                return status
            time.sleep(0.05)
        raise TimeoutError(upid)

    def log(self, upid):
        node = upid.split(":")[1]
        return self.get("/nodes/%s/tasks/%s/log" % (node, urllib.parse.quote(upid, safe=""))).data
