#!/usr/bin/env python3
"""The real monitoring servers the tests talk to (DESIGN.md: real parts, not mocks).

    servers.py start DIR   start Prometheus, node_exporter, Alertmanager, the
                           Pushgateway and the Proxmox VE simulator (pve_sim.py)
                           on free 127.0.0.1 ports, with their data, configs and
                           logs under DIR; wait until each is ready; write
                           DIR/servers.env (LABSH_TEST_* variables)
    servers.py stop DIR    stop them and remove DIR; exit 1, printing them, when
                           the simulator sent answers that break the API schema

Everything listens on and talks to 127.0.0.1 only: no remote_write, no
external URLs, Alertmanager's cluster gossip off. Prometheus scrapes
node_exporter and the Pushgateway and evaluates rules every second, so a test
sees a pushed or written metric within a few seconds.

Tests/run-with-servers.sh wraps a command in start and stop. Python standard
library only.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

sys.dont_write_bytecode = True  # importing pve_sim leaves no __pycache__ in the tree
import pve_sim  # noqa: E402

PVE_SIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pve_sim.py")

READY_TIMEOUT = 30  # seconds each server gets to answer its readiness endpoint
STOP_TIMEOUT = 5    # seconds between SIGTERM and SIGKILL


def free_port():
    """A port nothing listens on now. Another process could take it before the
    server binds it; start() then fails naming the server and its log."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


PROMETHEUS_CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - {rules}
  - {rules_dir}/*.yml
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:{node_port}"]
  - job_name: pushgateway
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:{push_port}"]
"""

# One recording rule and one alert that always fires, so rules() and alerts()
# have something real to return.
PROMETHEUS_RULES = """\
groups:
  - name: labsh-test
    rules:
      - record: labsh:up:sum
        expr: sum(up)
      - alert: LabshTestAlwaysFiring
        expr: vector(1)
        labels:
          severity: none
        annotations:
          summary: fires in every test run
"""

ALERTMANAGER_CONFIG = """\
route:
  receiver: "null"
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
"""


def server_specs(d):
    """Name, command, readiness URL and env variable of each server."""
    ports = {name: free_port() for name in ("prometheus", "node", "alertmanager", "push")}
    url = {name: "http://127.0.0.1:%d" % port for name, port in ports.items()}
    textfile_dir = os.path.join(d, "textfile")
    os.makedirs(textfile_dir)
    for sub in ("prometheus-data", "alertmanager-data"):
        os.makedirs(os.path.join(d, sub))

    rules = os.path.join(d, "rules.yml")
    write(rules, PROMETHEUS_RULES)
    # Rules a test adds (generated ones): write a .yml here, POST /-/reload.
    rules_dir = os.path.join(d, "rules.d")
    os.makedirs(rules_dir)
    prometheus_yml = os.path.join(d, "prometheus.yml")
    write(prometheus_yml, PROMETHEUS_CONFIG.format(
        rules=rules, rules_dir=rules_dir, node_port=ports["node"], push_port=ports["push"]))
    alertmanager_yml = os.path.join(d, "alertmanager.yml")
    write(alertmanager_yml, ALERTMANAGER_CONFIG)

    def listen(name):
        return "--web.listen-address=127.0.0.1:%d" % ports[name]

    # The Proxmox VE simulator (pve_sim.py): ready when it has written pve.env.
    pve_dir = os.path.join(d, "pve")
    pve_env = os.path.join(pve_dir, "pve.env")

    return [
        ("pve_sim", [sys.executable, PVE_SIM, "serve", pve_dir], pve_env,
         lambda: pve_sim.read_env(pve_env)),
        ("node_exporter", [
            "prometheus-node-exporter", listen("node"),
            # a few cheap collectors: the tests need the textfile one
            "--collector.disable-defaults", "--collector.textfile",
            "--collector.textfile.directory=" + textfile_dir,
            "--collector.loadavg", "--collector.meminfo", "--collector.time",
        ], url["node"] + "/metrics", {
            "LABSH_TEST_NODE_EXPORTER": url["node"],
            "LABSH_TEST_TEXTFILE_DIR": textfile_dir,
        }),
        ("pushgateway", [
            "prometheus-pushgateway", listen("push"),
            "--web.external-url=" + url["push"],
            "--persistence.file=",  # in memory: the Debian default is /var/lib
        ], url["push"] + "/-/ready", {"LABSH_TEST_PUSHGATEWAY": url["push"]}),
        ("alertmanager", [
            "prometheus-alertmanager", listen("alertmanager"),
            "--config.file=" + alertmanager_yml,
            "--storage.path=" + os.path.join(d, "alertmanager-data"),
            "--web.external-url=" + url["alertmanager"],
            "--cluster.listen-address=",  # no gossip, no peers
        ], url["alertmanager"] + "/-/ready", {"LABSH_TEST_ALERTMANAGER": url["alertmanager"]}),
        ("prometheus", [
            "prometheus", listen("prometheus"),
            "--config.file=" + prometheus_yml,
            "--storage.tsdb.path=" + os.path.join(d, "prometheus-data"),
            "--web.external-url=" + url["prometheus"],
            "--web.enable-lifecycle",
        ], url["prometheus"] + "/-/ready", {"LABSH_TEST_PROMETHEUS": url["prometheus"],
                                            "LABSH_TEST_RULES_DIR": rules_dir}),
    ]


# Straight to 127.0.0.1, whatever proxy the environment names.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def ready(url):
    if url.startswith("/"):  # a file the server writes when it is ready
        return os.path.exists(url)
    try:
        with DIRECT.open(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


class NotReady(Exception):
    def __init__(self, message, log):
        super().__init__(message)
        self.log = log


def wait_ready(name, url, process, log):
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NotReady("%s exited with status %d before it was ready (log %s)"
                           % (name, process.returncode, log), log)
        if ready(url):
            return
        time.sleep(0.1)
    raise NotReady("%s did not answer %s within %d s (log %s)"
                   % (name, url, READY_TIMEOUT, log), log)


def wait_scraped(prometheus, log):
    """Prometheus applies new targets after up to 5 s: wait for the first
    scrape of both, so tests start with data."""
    query = prometheus + "/api/v1/query?query=count(up%3D%3D1)%3D%3D2"
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with DIRECT.open(query, timeout=1) as response:
                if b'"result":[{' in response.read():
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise NotReady("prometheus did not scrape node_exporter and the Pushgateway within %d s (log %s)"
                   % (READY_TIMEOUT, log), log)


def start(d):
    os.makedirs(d, exist_ok=True)
    pids = open(os.path.join(d, "pids"), "w")
    env = {}
    # No proxy may send a loopback request elsewhere.
    child_env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    for name, command, ready_url, variables in server_specs(d):
        log = os.path.join(d, name + ".log")
        with open(log, "w") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=d, env=child_env,
                                       start_new_session=True)
        pids.write("%d %s\n" % (process.pid, name))
        pids.flush()
        wait_ready(name, ready_url, process, log)
        env.update(variables() if callable(variables) else variables)
    pids.close()
    wait_scraped(env["LABSH_TEST_PROMETHEUS"], os.path.join(d, "prometheus.log"))
    write(os.path.join(d, "servers.env"),
          "".join("%s=%s\n" % item for item in sorted(env.items())))


def alive(pid):
    """Running, not a zombie: a container's PID 1 may never reap the servers."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def stop(d):
    pid_file = os.path.join(d, "pids")
    pids = []
    if os.path.exists(pid_file):
        with open(pid_file) as f:
            pids = [int(line.split()[0]) for line in f if line.strip()]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    # An answer of the Proxmox simulator that broke the API schema fails the run.
    report = pve_sim.violations_report(os.path.join(d, "pve"))
    sys.stderr.write(report)
    shutil.rmtree(d, ignore_errors=True)
    return 1 if report else 0


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        sys.stderr.write("usage: servers.py start|stop DIR\n")
        return 2
    action, d = argv[1], argv[2]
    if action == "stop":
        return stop(d)
    try:
        start(d)
    except NotReady as e:
        # The log goes with DIR when we clean up: show its end here.
        sys.stderr.write("labsh test servers: %s\n" % e)
        with open(e.log, errors="replace") as f:
            sys.stderr.write("--- end of %s ---\n%s\n" % (e.log, f.read()[-3000:]))
        stop(d)
        return 1
    except OSError as e:  # e.g. a binary missing: make deps installs them
        sys.stderr.write("labsh test servers: %s\n" % e)
        stop(d)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
