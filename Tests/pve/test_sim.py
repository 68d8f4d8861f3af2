#!/usr/bin/env python3
"""Self-tests of the Proxmox VE simulator (Tests/servers/pve_sim.py).

Each behaviour the labsh client's tests rely on, checked against a
simulator started for this file alone: errors as PVE words them, auth,
privileges, offline nodes, tasks, locks, migrations, backups, HA, and that
a response outside the schema really fails a test run. Every test ends by
asking that nothing it did made the simulator break the schema.

    python3 Tests/pve/test_sim.py [-v] [TestName...]
"""

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sim_client import SERVERS, Client, Simulator  # noqa: E402

sys.path.insert(0, SERVERS)
import pve_api  # noqa: E402  (its table of implemented operations)

SIM = None


def setUpModule():
    global SIM
    SIM = Simulator()


def tearDownModule():
    SIM.stop()


class SimTestCase(unittest.TestCase):
    def setUp(self):
        env = SIM.env
        self.ca = env["LABSH_TEST_PVE_CA"]
        self.url = env["LABSH_TEST_PVE_URL"]
        self.root = Client(self.url, self.ca, env["LABSH_TEST_PVE_TOKEN"])
        self.limited = Client(self.url, self.ca, env["LABSH_TEST_PVE_LIMITED_TOKEN"])
        self.anonymous = Client(self.url, self.ca)
        self.assertEqual(self.root.control("reset").status, 200)
        self.root.control("config", task_seconds=0.05, migrate_seconds=0.1)
        self.violations_before = len(self.root.get("/_sim/violations").body["violations"])

    def tearDown(self):
        violations = self.root.get("/_sim/violations").body["violations"][self.violations_before:]
        self.assertEqual(violations, [], "the simulator broke the schema or failed")

    def ok(self, answer):
        self.assertEqual(answer.status, 200, answer)
        return answer.data

    def resources(self, vmid):
        for item in self.ok(self.root.get("/cluster/resources", type="vm")):
            if item["vmid"] == vmid:
                return item
        return None


class Errors(SimTestCase):
    def test_parameter_errors_are_400_with_a_message_per_parameter(self):
        answer = self.root.post("/nodes/pve1/qemu/abc/status/start", bogus="1", skiplock="maybe")
        self.assertEqual(answer.status, 400)
        self.assertEqual(answer.reason, "Parameter verification failed.")
        self.assertIsNone(answer.body["data"])
        self.assertEqual(answer.body["errors"], {
            "vmid": "type check ('integer') failed - got 'abc'",
            "bogus": "property is not defined in schema and the schema does not allow additional properties",
            "skiplock": "type check ('boolean') failed - got 'maybe'"})

    def test_enum_minimum_and_required_parameters(self):
        answer = self.root.get("/cluster/resources", type="vms")
        self.assertEqual(answer.status, 400)
        self.assertIn("enumeration 'vm, storage, node, sdn'", answer.body["errors"]["type"])
        answer = self.root.post("/nodes/pve1/qemu/99/migrate")
        self.assertEqual(answer.body["errors"], {"vmid": "value must have a minimum value of 100",
                                                 "target": "property is missing and it is not optional"})

    def test_json_bodies_are_checked_like_forms(self):
        answer = self.root.call("POST", "/nodes/pve1/qemu/101/migrate", json_body={"target": "pve2", "online": "x"})
        self.assertEqual(answer.body["errors"], {"online": "type check ('boolean') failed - got 'x'"})
        self.assertTrue(self.ok(self.root.call("POST", "/nodes/pve1/qemu/101/migrate",
                                               json_body={"target": "pve2", "online": True})).startswith("UPID:"))

    def test_unknown_path_or_method_is_501(self):
        self.assertEqual(self.root.get("/nodes/pve1/no-such-thing").status, 501)
        self.assertEqual(self.root.put("/nodes").status, 501)

    def test_offline_node_answers_595_and_shows_offline(self):
        self.ok(self.root.control("node/pve3/offline"))
        answer = self.root.get("/nodes/pve3/qemu")
        self.assertEqual((answer.status, answer.reason), (595, "No route to host"))
        nodes = {n["node"]: n["status"] for n in self.ok(self.root.get("/nodes"))}
        self.assertEqual(nodes["pve3"], "offline")
        status = {i["name"]: i for i in self.ok(self.root.get("/cluster/status"))}
        self.assertEqual((status["pve3"]["online"], status["homelab"]["quorate"]), (0, 1))
        self.assertEqual(self.resources(105)["status"], "unknown")
        self.ok(self.root.control("node/pve3/online"))
        self.ok(self.root.get("/nodes/pve3/qemu"))

    def test_quorum_follows_the_online_nodes(self):
        for node in ("pve3", "pve4", "pve5"):
            self.ok(self.root.control("node/%s/offline" % node))
        cluster = self.ok(self.root.get("/cluster/status"))[0]
        self.assertEqual(cluster["quorate"], 0)
        answer = self.root.post("/nodes/pve1/qemu/101/status/stop")
        self.assertEqual((answer.status, answer.reason), (500, "cluster not ready - no quorum?"))


class Auth(SimTestCase):
    def test_no_credentials_is_401(self):
        answer = self.anonymous.get("/nodes")
        self.assertEqual((answer.status, answer.reason), (401, "No ticket"))

    def test_a_wrong_token_secret_is_401(self):
        bad = Client(self.url, self.ca, SIM.env["LABSH_TEST_PVE_TOKEN"] + "x")
        self.assertEqual(bad.get("/nodes").status, 401)

    def test_ticket_auth_needs_the_csrf_token_on_writes(self):
        client = Client(self.url, self.ca)
        self.ok(client.login(SIM.env["LABSH_TEST_PVE_USER"], SIM.env["LABSH_TEST_PVE_PASSWORD"]))
        self.ok(client.get("/nodes"))
        upid = self.ok(client.post("/nodes/pve1/qemu/101/status/stop"))
        self.assertTrue(upid.endswith(":qmstop:101:root@pam:"), upid)
        client.csrf = None
        answer = client.post("/nodes/pve1/qemu/102/status/stop")
        self.assertEqual((answer.status, answer.reason), (401, "Permission denied - invalid csrf token"))

    def test_a_wrong_password_gets_no_ticket(self):
        answer = Client(self.url, self.ca).login("root@pam", "wrong")
        self.assertEqual(answer.status, 401)
        self.assertIsNone(answer.body["data"])

    def test_tickets_expire_after_two_hours_and_can_be_renewed_before(self):
        client = Client(self.url, self.ca)
        self.ok(client.login(SIM.env["LABSH_TEST_PVE_USER"], SIM.env["LABSH_TEST_PVE_PASSWORD"]))
        self.ok(self.root.control("clock", advance=7000))
        old = client.ticket
        self.ok(client.login("root@pam", old))   # the ticket as password renews it
        self.ok(self.root.control("clock", advance=1000))
        self.ok(client.get("/nodes"))            # the renewed ticket is 1000 s old
        client.ticket = old                      # the first is 8000 s old
        self.assertEqual(client.get("/nodes").status, 401)

    def test_tokens_only_where_the_schema_allows_them(self):
        # PUT /access/password has allowtoken 0 in the schema.
        answer = self.root.put("/access/password", userid="root@pam", password="x" * 8)
        self.assertEqual((answer.status, answer.reason), (401, "API token not allowed for this method"))


class Privileges(SimTestCase):
    def test_limited_token_is_refused_with_the_privilege_and_path(self):
        self.ok(self.limited.get("/nodes/pve1/qemu/101/status/current"))
        answer = self.limited.post("/nodes/pve1/qemu/101/status/start")
        self.assertEqual((answer.status, answer.reason), (403, "Permission check failed (/vms/101, VM.PowerMgmt)"))
        self.assertEqual(answer.body["message"], "Permission check failed (/vms/101, VM.PowerMgmt)\n")

    def test_any_of_several_privileges(self):
        answer = self.limited.get("/nodes/pve1/storage/pbs/content")
        self.assertEqual(answer.reason,
                         "Permission check failed (/storage/pbs, Datastore.Audit|Datastore.AllocateSpace)")

    def test_resources_show_only_what_the_caller_may_audit(self):
        kinds = {i["type"] for i in self.ok(self.limited.get("/cluster/resources"))}
        self.assertEqual(kinds, {"node", "qemu"})   # no Datastore.Audit: no storage
        kinds = {i["type"] for i in self.ok(self.root.get("/cluster/resources"))}
        self.assertEqual(kinds, {"node", "qemu", "storage"})

    def test_limited_ticket_user(self):
        client = Client(self.url, self.ca)
        self.ok(client.login(SIM.env["LABSH_TEST_PVE_LIMITED_USER"], SIM.env["LABSH_TEST_PVE_LIMITED_PASSWORD"]))
        self.assertEqual(client.post("/nodes/pve1/qemu/101/migrate", target="pve2").status, 403)
        self.assertEqual(self.ok(client.get("/access/permissions")), {"/": {"Sys.Audit": 1, "VM.Audit": 1}})


class Tasks(SimTestCase):
    def test_upid_format_and_status_change_only_when_the_task_ends(self):
        self.ok(self.root.control("config", task_seconds=0.5))
        upid = self.ok(self.root.post("/nodes/pve1/qemu/101/status/stop"))
        fields = upid.split(":")
        self.assertEqual((fields[0], fields[1], fields[5], fields[6], fields[7], fields[8]),
                         ("UPID", "pve1", "qmstop", "101", "root@pam!labsh", ""))
        for hex_field in fields[2:5]:
            self.assertRegex(hex_field, r"^[0-9A-F]{8}$")
        status = self.ok(self.root.get("/nodes/pve1/tasks/%s/status" % urllib.parse.quote(upid)))
        self.assertEqual(status["status"], "running")
        self.assertEqual(self.resources(101)["status"], "running")
        final = self.root.wait(upid)
        self.assertEqual(final["exitstatus"], "OK")
        self.assertEqual(self.resources(101)["status"], "stopped")
        self.assertEqual(self.root.log(upid)[-1], {"n": 2, "t": "TASK OK"})

    def test_a_task_with_warnings(self):
        self.ok(self.root.control("inject", type="qmigrate", exitstatus="WARNINGS: 2", seconds=0.1))
        upid = self.ok(self.root.post("/nodes/pve1/qemu/101/migrate", target="pve2", online=1))
        self.assertEqual(self.root.wait(upid)["exitstatus"], "WARNINGS: 2")
        lines = [line["t"] for line in self.root.log(upid)]
        self.assertEqual(len([t for t in lines if t.startswith("WARN: ")]), 2)
        self.assertEqual(lines[-1], "TASK WARNINGS: 2")
        self.assertEqual(self.resources(101)["node"], "pve2")  # warnings are success

    def test_a_failed_task_changes_nothing(self):
        self.ok(self.root.control("inject", type="qmigrate", exitstatus="migration aborted", count=1))
        upid = self.ok(self.root.post("/nodes/pve1/qemu/101/migrate", target="pve2", online=1))
        self.assertEqual(self.root.wait(upid)["exitstatus"], "migration aborted")
        self.assertEqual(self.root.log(upid)[-1]["t"], "TASK ERROR: migration aborted")
        self.assertEqual(self.resources(101)["node"], "pve1")
        upid = self.ok(self.root.post("/nodes/pve1/qemu/101/migrate", target="pve2", online=1))
        self.assertEqual(self.root.wait(upid)["exitstatus"], "OK")  # the injection was used up

    def test_a_guest_is_locked_while_its_migration_runs(self):
        self.ok(self.root.control("config", migrate_seconds=1.0))
        upid = self.ok(self.root.post("/nodes/pve1/qemu/101/migrate", target="pve2", online=1))
        self.assertEqual(self.resources(101)["lock"], "migrate")
        answer = self.root.post("/nodes/pve1/qemu/101/status/stop")
        self.assertEqual((answer.status, answer.reason), (500, "VM is locked (migrate)"))
        self.root.wait(upid)
        self.assertNotIn("lock", self.resources(101))
        self.ok(self.root.post("/nodes/pve2/qemu/101/status/stop"))

    def test_a_migration_fails_when_its_target_goes_offline_meanwhile(self):
        self.ok(self.root.control("config", migrate_seconds=0.5))
        upid = self.ok(self.root.post("/nodes/pve1/qemu/101/migrate", target="pve2", online=1))
        self.ok(self.root.control("node/pve2/offline"))
        self.assertEqual(self.root.wait(upid)["exitstatus"], "migration aborted: node 'pve2' is offline")
        self.assertEqual(self.root.log(upid)[-1]["t"], "TASK ERROR: migration aborted: node 'pve2' is offline")
        self.assertEqual(self.resources(101)["node"], "pve1")

    def test_migrateall_moves_a_nodes_guests_in_one_task(self):
        upid = self.ok(self.root.post("/nodes/pve4/migrateall", target="pve5", **{"max-workers": 2}))
        self.assertIn(":migrateall::root@pam!labsh:", upid)
        self.assertEqual([self.resources(v)["lock"] for v in (107, 108)], ["migrate", "migrate"])
        self.assertEqual(self.root.wait(upid)["exitstatus"], "OK")
        self.assertEqual([self.resources(v)["node"] for v in (107, 108)], ["pve5", "pve5"])
        listed = [t["upid"] for t in self.ok(self.root.get("/cluster/tasks"))]
        self.assertEqual(listed[0], upid)

    def test_running_guest_needs_online_migration(self):
        answer = self.root.post("/nodes/pve1/qemu/101/migrate", target="pve2")
        self.assertEqual(answer.reason, "can't migrate running VM without --online")

    def test_task_list_of_a_node(self):
        upid = self.ok(self.root.post("/nodes/pve1/qemu/102/status/shutdown", timeout=30))
        self.root.wait(upid)
        listed = self.ok(self.root.get("/nodes/pve1/tasks", vmid=102))
        self.assertEqual([(t["upid"], t["status"]) for t in listed], [(upid, "OK")])

    def test_first_status_polls_can_answer_404(self):
        self.ok(self.root.control("inject", type="qmstop", unknown_polls=2))
        upid = self.ok(self.root.post("/nodes/pve1/qemu/101/status/stop"))
        path = "/nodes/pve1/tasks/%s/status" % urllib.parse.quote(upid)
        self.assertEqual([self.root.get(path).status for _ in range(2)], [404, 404])
        self.assertEqual(self.root.wait(upid)["exitstatus"], "OK")

    def test_ha_recovers_guests_of_an_offline_node_when_configured(self):
        self.ok(self.root.control("config", ha_recovery_seconds=0.1))
        self.ok(self.root.control("node/pve1/offline"))
        time.sleep(0.2)
        moved = self.resources(101)   # k8s-masters may use pve1-pve3: the first online
        self.assertEqual((moved["node"], moved["status"]), ("pve2", "running"))

    def test_node_reboot_takes_it_offline_for_a_while(self):
        self.ok(self.root.control("config", reboot_seconds=0.3))
        self.ok(self.root.post("/nodes/pve5/status", command="reboot"))
        self.assertEqual(self.root.get("/nodes/pve5/status").status, 595)
        time.sleep(0.4)
        self.ok(self.root.get("/nodes/pve5/status"))
        self.assertEqual(self.resources(109)["status"], "running")  # onboot


class Storage(SimTestCase):
    def backups(self, vmid):
        return [b for b in self.ok(self.root.get("/nodes/pve1/storage/pbs/content", content="backup"))
                if b["vmid"] == vmid]

    def test_seeded_backups_and_prune_listing(self):
        backups = self.backups(101)
        self.assertEqual(len(backups), 3)
        self.assertTrue(all(b["volid"].startswith("pbs:backup/vm/101/") for b in backups))
        marks = self.ok(self.root.get("/nodes/pve1/storage/pbs/prunebackups", vmid=101))
        self.assertEqual(sorted(m["mark"] for m in marks), ["keep", "keep", "remove"])
        marks = self.ok(self.root.get("/nodes/pve1/storage/pbs/prunebackups", vmid=101,
                                      **{"prune-backups": "keep-last=1"}))
        self.assertEqual(sorted(m["mark"] for m in marks), ["keep", "remove", "remove"])

    def test_vzdump_makes_an_archive_and_a_restore_makes_a_new_guest(self):
        upid = self.ok(self.root.post("/nodes/pve1/vzdump", vmid="101", storage="pbs", mode="snapshot"))
        self.assertEqual(self.resources(101)["lock"], "backup")
        self.root.wait(upid)
        newest = max(self.backups(101), key=lambda b: b["ctime"])
        self.assertEqual(len(self.backups(101)), 4)
        upid = self.ok(self.root.post("/nodes/pve2/qemu", vmid=9001, archive=newest["volid"], storage="local-lvm"))
        self.assertEqual(self.root.wait(upid)["exitstatus"], "OK")
        restored = self.resources(9001)
        self.assertEqual((restored["name"], restored["node"], restored["status"]), ("k8s-m1", "pve2", "stopped"))
        answer = self.root.post("/nodes/pve2/qemu", vmid=9001, archive=newest["volid"])
        self.assertEqual(answer.status, 500)
        self.root.wait(self.ok(self.root.delete("/nodes/pve2/qemu/9001")))
        self.assertIsNone(self.resources(9001))

    def test_local_backups_are_seen_only_on_their_node(self):
        self.root.wait(self.ok(self.root.post("/nodes/pve1/vzdump", vmid="102", storage="local")))
        on_pve1 = self.ok(self.root.get("/nodes/pve1/storage/local/content", content="backup"))
        self.assertEqual([b["vmid"] for b in on_pve1], [102])
        self.assertRegex(on_pve1[0]["volid"], r"^local:backup/vzdump-qemu-102-\d{4}_\d\d_\d\d-\d\d_\d\d_\d\d\.vma\.zst$")
        self.assertEqual(self.ok(self.root.get("/nodes/pve2/storage/local/content", content="backup")), [])

    def test_snapshots(self):
        self.root.wait(self.ok(self.root.post("/nodes/pve1/qemu/101/snapshot", snapname="before")))
        names = [s["name"] for s in self.ok(self.root.get("/nodes/pve1/qemu/101/snapshot"))]
        self.assertEqual(names, ["before", "current"])


class HighAvailability(SimTestCase):
    def test_resources_rules_and_status(self):
        sids = [r["sid"] for r in self.ok(self.root.get("/cluster/ha/resources"))]
        self.assertIn("vm:101", sids)
        rules = {r["rule"]: r for r in self.ok(self.root.get("/cluster/ha/rules"))}
        self.assertEqual(rules["ha-group-k8s-masters"]["nodes"], "pve1,pve2,pve3")
        self.ok(self.root.post("/cluster/ha/rules", rule="keep-apart", type="resource-affinity",
                               affinity="negative", resources="vm:101,vm:103"))
        self.assertIn("keep-apart", [r["rule"] for r in self.ok(self.root.get("/cluster/ha/rules"))])
        status = {s["id"]: s for s in self.ok(self.root.get("/cluster/ha/status/current"))}
        self.assertEqual(status["quorum"]["status"], "OK")
        self.assertEqual(status["service:vm:101"]["node"], "pve1")

    def test_with_ha_redirect_an_ha_guest_is_moved_by_ha_after_the_request_task(self):
        self.ok(self.root.control("config", ha_redirect=True, migrate_seconds=0.5))
        upid = self.ok(self.root.post("/nodes/pve1/qemu/101/migrate", target="pve2", online=1))
        self.assertIn(":hamigrate:101:root@pam!labsh:", upid)
        self.assertEqual(self.root.wait(upid)["exitstatus"], "OK")
        self.assertEqual(self.resources(101)["node"], "pve1")   # HA has only been asked
        ha_task = [t for t in self.ok(self.root.get("/nodes/pve1/tasks", vmid=101)) if t["type"] == "qmigrate"]
        self.assertEqual([t["user"] for t in ha_task], ["root@pam"])
        self.root.wait(ha_task[0]["upid"])
        self.assertEqual(self.resources(101)["node"], "pve2")
        upid = self.ok(self.root.post("/nodes/pve2/qemu/101/status/stop"))
        self.assertIn(":hastop:101:", upid)
        self.assertEqual(self.ok(self.root.get("/cluster/ha/resources/vm:101"))["state"], "stopped")

    def test_ha_migration_moves_the_guest(self):
        moved = self.ok(self.root.post("/cluster/ha/resources/vm:102/migrate", node="pve4"))
        self.assertEqual(moved, {"sid": "vm:102", "requested-node": "pve4"})
        deadline = time.monotonic() + 10
        while self.resources(102)["node"] != "pve4" and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.resources(102)["node"], "pve4")


class Listeners(SimTestCase):
    def test_the_certificate_fingerprint_is_what_openssl_prints(self):
        out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", self.ca],
                             capture_output=True, text=True, check=True).stdout
        self.assertEqual(out.strip().split("=", 1)[1], SIM.env["LABSH_TEST_PVE_FINGERPRINT"])

    def test_second_listener_shares_the_state_and_can_refuse_connections(self):
        second = Client(SIM.env["LABSH_TEST_PVE_URL2"], self.ca, SIM.env["LABSH_TEST_PVE_TOKEN"])
        local = [n["name"] for n in self.ok(second.get("/cluster/status")) if n.get("local")]
        self.assertEqual(local, ["pve2"])
        self.ok(self.root.control("listener/2/down"))
        port = int(SIM.env["LABSH_TEST_PVE_URL2"].rsplit(":", 1)[1])
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        self.ok(self.root.control("listener/2/up"))
        self.ok(second.get("/version"))

    def test_a_listener_that_goes_down_breaks_its_open_connections(self):
        port = int(SIM.env["LABSH_TEST_PVE_URL2"].rsplit(":", 1)[1])
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=self.ca))
        headers = {"Authorization": "PVEAPIToken=" + SIM.env["LABSH_TEST_PVE_TOKEN"]}
        connection.request("GET", "/api2/json/version", headers=headers)
        self.assertEqual(connection.getresponse().read()[:8], b'{"data":')   # kept alive
        try:
            self.ok(self.root.control("listener/2/down"))
            with self.assertRaises((ConnectionError, http.client.HTTPException, ssl.SSLError)):
                connection.request("GET", "/api2/json/version", headers=headers)
                connection.getresponse().read()
        finally:
            connection.close()
            self.ok(self.root.control("listener/2/up"))

    def test_a_client_that_rejects_the_certificate_does_not_stop_the_server(self):
        context = ssl.create_default_context()  # system CAs: our certificate is unknown
        port = int(self.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with self.assertRaises(ssl.SSLCertVerificationError):
                context.wrap_socket(raw, server_hostname="127.0.0.1")
        self.ok(self.root.get("/version"))

    def test_injected_busy_answer_on_one_listener_only(self):
        second = Client(SIM.env["LABSH_TEST_PVE_URL2"], self.ca, SIM.env["LABSH_TEST_PVE_TOKEN"])
        self.ok(self.root.control("fail", status=596, message="Connection timed out", listener="1",
                                  path="/cluster", count=1))
        self.ok(self.root.get("/version"))          # another path: as usual
        self.ok(second.get("/cluster/resources"))   # another listener: as usual
        answer = self.root.get("/cluster/resources")
        self.assertEqual((answer.status, answer.reason), (596, "Connection timed out"))
        self.ok(self.root.get("/cluster/resources"))  # count 1: used up

    def test_injected_delay(self):
        self.ok(self.root.control("fail", delay=0.3))
        started = time.monotonic()
        self.ok(self.root.get("/version"))
        self.assertGreaterEqual(time.monotonic() - started, 0.3)

    def test_control_requests_are_checked(self):
        answer = self.root.control("inject", type="qmstop", exitstatus=5, cuont=2)
        self.assertEqual((answer.status, answer.body["errors"]),
                         (400, {"exitstatus": "must be str", "cuont": "unknown field"}))
        self.assertEqual(self.root.control("inject").body["errors"], {"type": "missing"})

    def test_a_synthetic_cluster_for_benchmarks(self):
        self.ok(self.root.control("seed", nodes=50, guests=2000))
        items = self.ok(self.root.get("/cluster/resources"))
        self.assertEqual(len([i for i in items if i["type"] == "node"]), 50)
        self.assertEqual(len([i for i in items if i["type"] in ("qemu", "lxc")]), 2000)


class EveryOperationFitsTheSchema(SimTestCase):
    """Each implemented operation once, qemu and lxc alike, on a synthetic
    cluster: every answer is checked against `returns` (tearDown asks)."""

    def done(self, answer):
        upid = self.ok(answer)
        self.assertEqual(self.root.wait(upid)["exitstatus"], "OK", upid)
        return upid

    def test_every_implemented_operation(self):
        self.ok(self.root.control("seed", nodes=3, guests=8))   # guest1 and guest5 are containers
        guests = {g["vmid"]: g for g in self.ok(self.root.get("/cluster/resources", type="vm"))}
        ct, vm = guests[1000], guests[1001]
        self.assertEqual((ct["type"], vm["type"]), ("lxc", "qemu"))
        self.ok(self.root.post("/cluster/ha/resources", sid="ct:1000", state="started"))
        self.ok(self.root.post("/cluster/ha/rules", rule="pin", type="node-affinity", nodes="node1,node2",
                               resources="ct:1000"))
        for g in (ct, vm):
            base = "/nodes/%s/%s/%d" % (g["node"], g["type"], g["vmid"])
            self.done(self.root.post(base + "/snapshot", snapname="s1"))
            self.done(self.root.post("/nodes/%s/vzdump" % g["node"], vmid=str(g["vmid"]), storage="local"))
        archive = [b for b in self.ok(self.root.get("/nodes/node1/storage/local/content", content="backup"))
                   if b["vmid"] == 1000][0]["volid"]
        upid = self.done(self.root.post("/nodes/node1/lxc", vmid=2000, ostemplate=archive, restore=1))
        values = {"node": "node1", "storage": "local", "volume": archive, "upid": upid,
                  "snapname": "s1", "rule": "pin", "sid": "ct:1000"}
        for (method, template) in sorted(pve_api.HANDLERS):
            if method != "GET":
                continue
            for kind, g in (("lxc", ct), ("qemu", vm)):
                if "{vmid}" in template and "/%s/" % kind not in template:
                    continue
                filled = dict(values, vmid=g["vmid"], node=g["node"]) if "{vmid}" in template else values
                path = template
                for name, value in filled.items():
                    path = path.replace("{%s}" % name, urllib.parse.quote(str(value), safe=""))
                with self.subTest(path=path):
                    self.assertEqual(self.root.get(path).status, 200, path)
        for g in (ct, vm):
            base = "/nodes/%s/%s/%d" % (g["node"], g["type"], g["vmid"])
            self.ok(self.root.put(base + "/config", cores=4, tags="test"))
            self.done(self.root.post(base + "/status/reboot"))
            self.done(self.root.post(base + "/status/shutdown"))
            self.done(self.root.post(base + "/status/start"))
            self.done(self.root.post(base + "/snapshot/s1/rollback", start=1))
            self.done(self.root.delete(base + "/snapshot/s1"))
            self.done(self.root.post(base + "/status/stop"))
            target = "node3" if g["node"] != "node3" else "node2"
            self.done(self.root.post(base + "/migrate", target=target))
        self.ok(self.root.put("/nodes/node1/storage/local/content/" + urllib.parse.quote(archive, safe=""),
                              notes="kept", protected=0))
        self.done(self.root.delete("/nodes/node1/storage/local/prunebackups", **{"prune-backups": "keep-last=1"}))
        self.ok(self.root.put("/cluster/ha/rules/pin", type="node-affinity", nodes="node1"))
        self.ok(self.root.put("/cluster/ha/resources/ct:1000", state="stopped"))
        self.ok(self.root.delete("/cluster/ha/rules/pin"))
        self.ok(self.root.delete("/cluster/ha/resources/ct:1000"))
        self.done(self.root.delete("/nodes/node1/lxc/2000"))
        self.ok(self.root.post("/nodes/node3/status", command="shutdown"))


LABSH = os.environ.get("LABSH_BIN") or os.path.join(SERVERS, "..", "..", ".build", "debug", "labsh")
MAKE_SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "make_seed.py")


@unittest.skipUnless(os.access(LABSH, os.X_OK), "needs labsh (LABSH_BIN or .build/debug/labsh)")
class Seed(unittest.TestCase):
    def check(self, seed_file):
        return subprocess.run([sys.executable, MAKE_SEED, "--check", "--seed", seed_file, LABSH],
                              capture_output=True, text=True)

    def test_the_seed_matches_labsh_and_a_stale_one_is_reported(self):
        seed_file = os.path.join(os.path.dirname(MAKE_SEED), "homelab-seed.json")
        self.assertEqual(self.check(seed_file).returncode, 0)
        with open(seed_file) as f:
            seed = json.load(f)
        seed["guests"][0]["ram"] *= 2
        with tempfile.NamedTemporaryFile("w", suffix=".json") as stale:
            json.dump(seed, stale)
            stale.flush()
            result = self.check(stale.name)
        self.assertEqual(result.returncode, 1)
        self.assertIn("is stale: labsh's homelab changed", result.stderr)


class SchemaViolations(unittest.TestCase):
    """On a simulator of its own: the violation it provokes must fail that run."""

    def test_a_broken_answer_is_recorded_and_fails_the_stop_step(self):
        sim = Simulator()
        try:
            client = Client(sim.env["LABSH_TEST_PVE_URL"], sim.env["LABSH_TEST_PVE_CA"], sim.env["LABSH_TEST_PVE_TOKEN"])
            client.control("break-returns", count=1)
            self.assertEqual(client.get("/version").data, "broken")
            self.assertIsInstance(client.get("/version").data, dict)  # only one was broken
            violations = client.get("/_sim/violations").body["violations"]
            self.assertEqual([(v["method"], v["path"]) for v in violations], [("GET", "/api2/json/version")])
        finally:
            sim.stop(remove=False)
        stop = subprocess.run([sys.executable, os.path.join(SERVERS, "servers.py"), "stop", sim.dir],
                              capture_output=True, text=True)
        self.assertEqual(stop.returncode, 1)
        self.assertIn("GET /api2/json/version", stop.stderr)
        self.assertIn("data: str where the schema says an object", stop.stderr)

    def test_the_harness_fails_a_passing_command_after_a_violation(self):
        # The whole chain: run-with-servers.sh starts the servers, the command
        # succeeds, the stop step finds the violation and the run fails.
        command = ('curl -sf --cacert "$LABSH_TEST_PVE_CA" -X POST "$LABSH_TEST_PVE_CONTROL/break-returns" '
                   '&& curl -sf --cacert "$LABSH_TEST_PVE_CA" -H "Authorization: PVEAPIToken=$LABSH_TEST_PVE_TOKEN" '
                   '"$LABSH_TEST_PVE_URL/api2/json/nodes" >/dev/null')
        harness = os.path.join(SERVERS, "..", "run-with-servers.sh")
        run = subprocess.run([harness, "sh", "-c", command], capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 1, run.stderr[-2000:])
        self.assertIn("GET /api2/json/nodes", run.stderr)

    def test_a_clean_run_stops_with_success(self):
        sim = Simulator()
        try:
            client = Client(sim.env["LABSH_TEST_PVE_URL"], sim.env["LABSH_TEST_PVE_CA"], sim.env["LABSH_TEST_PVE_TOKEN"])
            self.assertEqual(client.get("/cluster/resources").status, 200)
        finally:
            sim.stop(remove=False)
        stop = subprocess.run([sys.executable, os.path.join(SERVERS, "servers.py"), "stop", sim.dir],
                              capture_output=True, text=True)
        self.assertEqual((stop.returncode, stop.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main()
