-- inventory: start, check and show an inventory as Ansible would see it.
--
--   labsh -m inventory init     write the built-in homelab to
--                               $XDG_CONFIG_HOME/labsh/inventory.lua (never
--                               over an existing file), to edit from there
--   labsh -m inventory check [FILE]
--                               load FILE (default: the inventory labsh
--                               uses, --inventory FILE) and report
--   labsh -m inventory list     as `ansible-inventory --list`: JSON, every
--                               group and _meta.hostvars
--   labsh -m inventory graph [GROUP]
--                               as `ansible-inventory --graph`: the tree of
--                               groups and their hosts
--   labsh -m inventory host NAME
--                               as `ansible-inventory --host NAME`: the
--                               host's variables
--
-- list, graph and host show the inventory as `labsh -m gen ansible` writes
-- it, so they say what ansible-inventory says of that file. Every node and
-- guest is a host; the groups are:
--   a kind       hypervisor, workstation, gateway, switch, router, vm, lxc...
--   a role       proxmox, k8s_master, k8s_worker... (names made Ansible
--                identifiers: letters, digits and _)
--   zone_ZONE    a security zone; its children are its VLANs' groups
--   vlan_ID      the nodes attached to VLAN ID and the guests on it
-- The variable labsh_overlay (the site, VLANs and policy that gen ansible
-- embeds for the way back) is left out of the host variables.
--
-- --dry-run (before or after -m inventory) says what init would write and
-- writes nothing.
--
-- Exit status: 0 done, 1 refused or invalid, 2 usage.

local cli = require "labsh.cli"

return labsh.script {
  name = "inventory",
  description = "init and check an inventory; list, graph, host as ansible-inventory does",
  formats = { "text", "json" },
  commands = {
    { "init", "write the built-in homelab to $XDG_CONFIG_HOME/labsh/inventory.lua (never over a file)" },
    { "check", "load FILE (default: the inventory labsh uses) and report it",
      args = { { "FILE", "an inventory file", key = "file" } } },
    { "list", "groups and _meta.hostvars as --list (JSON always)" },
    { "graph", "groups (kinds, roles, zone_ZONE > vlan_ID) and hosts as a tree",
      args = { { "GROUP", "the group to start from (default: all)", key = "group" } } },
    { "host", "a host's variables (JSON with --format json)",
      args = { { "NAME", "a node or guest", key = "name", required = true } } },
  },
  exit = "0 done, 1 refused or invalid, 2 usage",
  requires = {
    files = {
      read = { "arguments" },   -- check FILE
      write = { "config" },     -- init writes the configuration directory's inventory.lua
    },
    mutation = true,            -- init
  },
  run = function(_, opts)

    local files = require "labsh.files"
    local host = require "labsh.host"
    local filesystem = require "labsh.filesystem"

    local function fail(message, status)
      io.stderr:write("inventory: ", message, "\n")
      os.exit(status or 1)
    end

    local function config_file()
      local dir = assert(lab.sys.locations().config, "HOME is not set")
      return dir, dir .. "/inventory.lua"
    end

    local function write_new_file(path, text)
      local ok, err = files.write_atomically(path, text)
      if not ok then fail(("cannot write %s: %s"):format(path, err)) end
    end

    -- A line for people, or the same as one JSON document.
    local function say(text, data)
      print(cli.json() and lab.json.encode(data, { sort_keys = true }) or text)
    end

    -- The built-in homelab as a file to edit, its jobs (kept apart in labsh,
    -- homelab_jobs.lua) written in as the inventory's `jobs` section.
    local function with_jobs(homelab, jobs)
      local body = homelab:match("^(.*)}%s*$")
      local list = jobs:match("\nreturn (%b{})%s*$")
      assert(body and list, "the embedded homelab or its jobs changed shape")
      return body .. "  -- The plan's schedules: labsh -m jobs list.\n  jobs = " .. list .. ",\n}\n"
    end

    local function init()
      local directory, path = config_file()
      local existing = io.open(path, "r")
      if existing then
        existing:close()
        fail(("%s exists; labsh will not overwrite it"):format(path))
      end
      if lab.options.dry_run then
        say(("would write %s: the plan's homelab (--dry-run: nothing written)"):format(path), { path = path, written = false })
        return
      end
      filesystem.make_directories(directory)
      write_new_file(path, with_jobs(host.embedded("stdlib/labsh/homelab.lua"), host.embedded("stdlib/labsh/homelab_jobs.lua")))
      say(("wrote %s: the plan's homelab, to edit; labsh uses it from now on"):format(path), { path = path, written = true })
    end

    local function check()
      local ok, err = pcall(lab.inventory.load, opts.file or lab.inventory.path())
      if not ok then fail(tostring(err)) end
      local summary = lab.inventory.summary()
      if cli.json() then
        summary.warnings = setmetatable(summary.warnings, lab.json.array)
        print(lab.json.encode(summary, { sort_keys = true }))
        return
      end
      print(("%s: %d nodes, %d guests, %d VLANs, %d services"):format(
        summary.file, summary.nodes, summary.guests, summary.vlans, summary.services))
      for _, warning in ipairs(summary.warnings) do print("warning: " .. warning) end
    end

    -- ---- As Ansible sees it -----------------------------------------------------------

    -- The inventory as `gen ansible` writes it, read back as Ansible reads it:
    -- {hosts = {[name] = {vars, groups}}, groups = {[name] = {hosts, children}}}.
    local function as_ansible()
      return lab.ansible.parse(lab.ansible.export(), "labsh -m gen ansible")
    end

    -- labsh's own round-trip variable: no host variable for Ansible users.
    local OVERLAY = "labsh_overlay"

    local function host_vars(host)
      local vars = {}
      for k, v in pairs(host.vars or {}) do
        if k ~= OVERLAY then vars[k] = v end
      end
      return vars
    end

    local function sorted(list)
      local out = {}
      for i, v in ipairs(list or {}) do out[i] = v end
      table.sort(out)
      return out
    end

    local function array(list) return setmetatable(list, lab.json.array) end

    -- A group's children in Ansible's order: all's as declared (ungrouped
    -- first), the others' by name.
    local function children_of(group)
      if group.name == "all" then return group.children or {} end
      return sorted(group.children)
    end

    local function names_of(map)
      local names = {}
      for name in pairs(map) do names[#names + 1] = name end
      table.sort(names)
      return names
    end

    local function unknown(what, name, candidates)
      local blame = require "labsh.blame"
      fail(("no %s %s%s"):format(what, blame.shown(name), blame.hint(name, candidates, what .. "s")))
    end

    local function list()
      local inv = as_ansible()
      local out = { _meta = { hostvars = {} } }
      for name, host in pairs(inv.hosts) do out._meta.hostvars[name] = host_vars(host) end
      for name, group in pairs(inv.groups) do
        local entry = {}
        local children = children_of(group)
        if #children > 0 then entry.children = array(children) end
        if name ~= "all" and #(group.hosts or {}) > 0 then entry.hosts = array(sorted(group.hosts)) end
        if next(entry) or name == "all" then out[name] = entry end
      end
      print(lab.json.encode(out, { sort_keys = true }))
    end

    local function graph()
      local inv = as_ansible()
      local start = opts.group or "all"
      if not inv.groups[start] then unknown("group", start, names_of(inv.groups)) end
      local lines = {}
      -- as ansible-inventory: "@group:" then children, then hosts, each level "  |" deeper
      local function walk(name, depth)
        local group = inv.groups[name]
        local node = { name = name, children = {}, hosts = {} }
        lines[#lines + 1] = ("  |"):rep(depth) .. (depth > 0 and "--" or "") .. "@" .. name .. ":"
        for _, child in ipairs(children_of(group)) do node.children[#node.children + 1] = walk(child, depth + 1) end
        if name ~= "all" then
          for _, h in ipairs(sorted(group.hosts)) do
            lines[#lines + 1] = ("  |"):rep(depth + 1) .. "--" .. h
            node.hosts[#node.hosts + 1] = h
          end
        end
        array(node.children)
        array(node.hosts)
        return node
      end
      local tree = walk(start, 0)
      print(cli.json() and lab.json.encode(tree, { sort_keys = true }) or table.concat(lines, "\n"))
    end

    local function host_command()
      local inv = as_ansible()
      local host = inv.hosts[opts.name]
      if not host then unknown("host", opts.name, names_of(inv.hosts)) end
      local vars = host_vars(host)
      if cli.json() then
        print(lab.json.encode(vars, { sort_keys = true }))
        return
      end
      for _, k in ipairs(names_of(vars)) do
        local v = vars[k]
        print(("%s: %s"):format(k, type(v) == "table" and lab.json.encode(v, { sort_keys = true }) or tostring(v)))
      end
    end

    local commands = { init = init, check = check, list = list, graph = graph, host = host_command }
    commands[opts.command]()
  end,
}
