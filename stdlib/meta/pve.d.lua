---@meta
-- Declarations of lab.pve, the Proxmox VE connector, and the live methods
-- it gives the inventory's nodes and guests, for editors (LuaLS) and for
-- help() at the labsh prompt.

---The Proxmox VE cluster of the inventory's `proxmox` section, live. Calls
---are checked against the API schema (9.1) before they are sent; writes pass
---the mutation gate (--dry-run shows the exact API call, a person confirms,
---cron needs --yes, the audit log keeps the task's UPID) and wait for the task
---they start. Errors are objects of kind "pve" with a `reason`: auth (401),
---permission (403, with `privilege`: "VM.PowerMgmt on /vms/101"), param (400
---with `errors` per parameter, or a local schema check: `local` = true),
---offline (595 or no node reachable), busy (596), tls (with `expected` and
---`seen` fingerprints on a mismatch), timeout (with the running `upid`), task
---(with `exitstatus` and the `log`'s last lines), server (other statuses),
---protocol (a redirect, not JSON, too large), config, missing, ambiguous.
---The cluster in the model: lab.inventory.from_pve() makes its guests the
---inventory's; lab.capacity.report, lab.sim.fail and lab.sim.n_minus_1 use
---them with { source = "live" } and say so in their `sources`.
lab.pve = {}

---A connection to a cluster: lab.pve.client() or lab.pve.connect{}. Its
---records print as tables: lab.PveResource (resources), lab.PveNode (status).
---@class lab.PveClient
local Client = {}

---The `data` of GET `path` ("/cluster/resources", "/nodes/pve1/status").
---@param path string a concrete API path; segments percent-encoded
---@param params table? query parameters, checked against the schema
---@param opts {timeout: number?}? seconds for the request (default 30)
---@return any data
function Client:get(path, params, opts) end

---POST through the gate. A task it starts is waited for: its result
---{upid, node, type, id, user, exitstatus, warnings} ("WARNINGS: n" is a
---success whose WARN lines are in `warnings`); a failed task raises reason
---"task". Under --dry-run, or declined: nil and "dry run" / "declined".
---@param path string
---@param params table?
---@param opts {wait: boolean?, timeout: number?, on_log: fun(line: string, task: table)?, action: string?, target: string?, summary: string?}? wait = false returns the UPID; timeout: seconds to wait for the task (3600); on_log: each log line as the task runs
---@return any result
function Client:post(path, params, opts) end

---PUT through the gate (see post).
---@param path string
---@param params table?
---@param opts table?
---@return any result
function Client:put(path, params, opts) end

---DELETE through the gate (see post).
---@param path string
---@param params table?
---@param opts table?
---@return any result
function Client:delete(path, params, opts) end

---Waits for tasks (UPIDs) in one poll loop; their results in order. A
---failure is raised once all have ended; past opts.timeout a "timeout" error
---carries the UPIDs still running.
---@param upids string|string[]
---@param opts {timeout: number?, on_done: fun(result: table)?, on_log: fun(line: string, task: table)?}?
---@return table|table[] results
function Client:wait(upids, opts) end

---The parameters and required privilege of every operation of `path`.
---@param path string
---@return string text
function Client:help(path) end

---A client for any cluster, `spec` as the inventory's `proxmox` section:
---{urls = {{url =, fingerprint =, ca_file =}, ...}, token = "env:PVE_TOKEN"}
---or user and password references; checked by the inventory's rules.
---@param spec Inventory.Proxmox
---@return lab.PveClient client
function lab.pve.connect(spec) end

---The client of the inventory's `proxmox` section (one per inventory).
---@return lab.PveClient client
function lab.pve.client() end

---GET on the inventory's cluster (see lab.PveClient:get).
---@param path string
---@param params table?
---@param opts table?
---@return any data
function lab.pve.get(path, params, opts) end

---POST on the inventory's cluster, through the gate (see lab.PveClient:post).
---@param path string
---@param params table?
---@param opts table?
---@return any result
function lab.pve.post(path, params, opts) end

---PUT on the inventory's cluster, through the gate.
---@param path string
---@param params table?
---@param opts table?
---@return any result
function lab.pve.put(path, params, opts) end

---DELETE on the inventory's cluster, through the gate.
---@param path string
---@param params table?
---@param opts table?
---@return any result
function lab.pve.delete(path, params, opts) end

---Waits for tasks of the inventory's cluster (see lab.PveClient:wait).
---@param upids string|string[]
---@param opts table?
---@return table|table[] results
function lab.pve.wait(upids, opts) end

---The parameters and required privilege of every operation of `path`
---(no cluster needed: the schema is built in).
---@param path string e.g. "/nodes/pve1/qemu/101/migrate"
---@return string text
function lab.pve.help(path) end

---Quorum and nodes: {name, quorate, online, total, nodes = {lab.PveNode}}.
---@param client lab.PveClient? default: the inventory's
---@return table status
function lab.pve.status(client) end

---/cluster/resources as records that print as a table: id, type, node,
---name, vmid, status, maxcpu, mem, maxmem, hastate...
---@param filter {type: "vm"|"storage"|"node"|"sdn"}?
---@param client lab.PveClient?
---@return table[] resources
function lab.pve.resources(filter, client) end

---High availability now: {resources, status, rules} as records, from
---/cluster/ha/resources, /cluster/ha/status/current and /cluster/ha/rules
---(PVE 9: node and resource affinity rules; HA groups are deprecated).
---@param client lab.PveClient?
---@return {resources: table[], status: table[], rules: table[]} ha
function lab.pve.ha(client) end

---The vzdump archives on a storage as records (volid, vmid, ctime, size,
---format, notes, protected), listed by `node` or the first node online.
---@param opts {storage: string, node: string?, vmid: integer?}
---@param client lab.PveClient?
---@return table[] backups
function lab.pve.backups(opts, client) end

---What the storage's prune-backups settings would keep and remove: records
---with `mark` keep, remove, protected or renamed. Lists only.
---@param opts {storage: string, node: string?, vmid: integer?, type: "qemu"|"lxc"?}
---@param client lab.PveClient?
---@return table[] backups
function lab.pve.prune_plan(opts, client) end

---The node as the cluster sees it now: /nodes/{node}/status with `online`
---({name, online = false} when the cluster counts it offline).
---@return table status
function lab.Node:live() end

---The guest's status now (/status/current: status, uptime, cpu, mem...,
---with node, vmid, type). The guest is found by its `vmid`, else by name
---(said once on stderr).
---@return table status
function lab.Guest:status() end

---Starts the guest through the gate; waits for the task.
---@param opts {wait: boolean?, wait_timeout: number?}?
---@return table? result
function lab.Guest:start(opts) end

---Powers the guest off (no clean shutdown) through the gate.
---@param opts {wait: boolean?, wait_timeout: number?}?
---@return table? result
function lab.Guest:stop(opts) end

---Reboots the guest through the gate.
---@param opts {wait: boolean?, wait_timeout: number?}?
---@return table? result
function lab.Guest:reboot(opts) end

---Shuts the guest down cleanly through the gate; timeout: seconds PVE waits.
---@param opts {timeout: integer?, wait: boolean?, wait_timeout: number?}?
---@return table? result
function lab.Guest:shutdown(opts) end

---Migrates the guest to `node` through the gate (online: a running VM moves
---live, a container restarts on the target).
---@param node string
---@param opts {online: boolean?, wait: boolean?, wait_timeout: number?}?
---@return table? result
function lab.Guest:migrate(node, opts) end

---Takes a snapshot called `name` through the gate.
---@param name string
---@param opts {wait: boolean?, wait_timeout: number?}?
---@return table? result
function lab.Guest:snapshot(name, opts) end

---Backs the guest up with vzdump (mode "snapshot" unless given) through the gate.
---@param opts {storage: string?, mode: "snapshot"|"suspend"|"stop"?, wait: boolean?, wait_timeout: number?}?
---@return table? result
function lab.Guest:backup(opts) end
