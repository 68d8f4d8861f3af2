-- No script, playbook, library module or Swift rule names the plan's hosts,
-- roles, VLAN ids or zone names in its logic (issue 16): what to act on
-- comes from the inventory (targets, kinds, VLAN trust and `public`, the
-- policy). Comments may cite the plan; only the built-in homelab itself
-- (stdlib/labsh/homelab*.lua) and the docs (stdlib/meta) hold its names.
-- A finding names the file and line.

-- The plan's names, as Lua patterns matched against code with its
-- comments removed. Zone names count only as a whole string literal
-- ("management"), roles and hosts anywhere in a literal.
local FORBIDDEN = {
  { pattern = '"[^"]*%f[%w]pve[1-5]%f[^%w][^"]*"', what = "a host of the plan (pve1..pve5)" },
  { pattern = '"[^"]*%f[%w]gw1%f[^%w][^"]*"', what = "the plan's gateway gw1" },
  { pattern = '"[^"]*%f[%w]sw1%f[^%w][^"]*"', what = "the plan's switch sw1" },
  { pattern = '"[^"]*z440[^"]*"', what = "the plan's workstation z440" },
  { pattern = '"[^"]*isp%-router[^"]*"', what = "the plan's ISP router" },
  { pattern = '"[^"]*k8s%-[mw]%d[^"]*"', what = "a guest of the plan (k8s-m1, k8s-w1...)" },
  { pattern = '"[^"]*k8s%-master[^"]*"', what = "the plan's role k8s-master" },
  { pattern = '"[^"]*k8s%-worker[^"]*"', what = "the plan's role k8s-worker" },
  { pattern = '"[^"]*k8s%-gpu[^"]*"', what = "the plan's role k8s-gpu-worker / guest k8s-gpu1" },
  { pattern = 'role%s*=%s*"proxmox"', what = "the plan's role proxmox" },
  { pattern = 'role%s*==%s*"proxmox"', what = "the plan's role proxmox" },
  { pattern = '"management"', what = "the plan's zone management" },
  { pattern = '"dmz"', what = "the plan's zone dmz" },
  { pattern = '"k8s"%s*,%s*"', what = "the plan's zone k8s as a policy argument" },
  { pattern = 'lab%.vlan%s*%(%s*%d+', what = "a VLAN by its id" },
  { pattern = 'vlan%s*==%s*%d+', what = "a VLAN id compared with a number" },
  { pattern = 'vlan%.id%s*==%s*%d+', what = "a VLAN id compared with a number" },
}

-- Swift rules: roles and VLAN ids (product names such as "proxmox" are fine).
local FORBIDDEN_SWIFT = {
  { pattern = '"k8s%-master"', what = "the plan's role k8s-master" },
  { pattern = '"k8s%-worker"', what = "the plan's role k8s-worker" },
  { pattern = '"k8s%-gpu%-worker"', what = "the plan's role k8s-gpu-worker" },
  { pattern = 'vlan%s*==%s*%d+', what = "a VLAN id compared with a number" },
  { pattern = '"management"', what = "the plan's zone management" },
  { pattern = '"dmz"', what = "the plan's zone dmz" },
}

-- The code of a line: a comment (Lua "--", Swift "//") cut off where it
-- starts outside a string literal.
local function code_of(line, marker)
  local in_string = false
  local i = 1
  while i <= #line do
    local c = line:sub(i, i)
    if c == "\\" and in_string then
      i = i + 1
    elseif c == '"' then
      in_string = not in_string
    elseif not in_string and line:sub(i, i + #marker - 1) == marker then
      return line:sub(1, i - 1)
    end
    i = i + 1
  end
  return line
end

local function files(dir, ext)
  local r = lab.process.run { argv = { "find", dir, "-name", "*." .. ext, "-type", "f" }, read_only = true }
  assert_eq(r.status, 0, r.stderr)
  local list = {}
  for path in r.stdout:gmatch("[^\n]+") do list[#list + 1] = path end
  table.sort(list)
  return list
end

-- Every "file:line: what (text)" where a forbidden pattern matches.
local function findings(paths, patterns, marker, skip)
  local out = {}
  for _, path in ipairs(paths) do
    if not (skip and skip(path)) then
      local number, in_block = 0, false
      for line in io.lines(path) do
        number = number + 1
        -- Lua block comments --[[ ... ]] and long strings of help text are rare
        -- here; a block comment's lines are skipped whole.
        if marker == "--" and line:find("^%s*%-%-%[%[") then in_block = not line:find("%]%]") end
        local code = in_block and "" or code_of(line, marker)
        if in_block and line:find("%]%]") then in_block = false end
        for _, f in ipairs(patterns) do
          if code:find(f.pattern) then
            out[#out + 1] = ("%s:%d: %s: %s"):format(path, number, f.what, line:gsub("^%s+", ""))
          end
        end
      end
    end
  end
  return out
end

local function lua_sources()
  local list = {}
  for _, dir in ipairs { "scripts", "stdlib/lab", "stdlib/labsh" } do
    for _, path in ipairs(files(dir, "lua")) do list[#list + 1] = path end
  end
  assert(#list > 40, "found only " .. #list .. " Lua files: run from the repository's top directory")
  return list
end

-- The built-in homelab holds the plan's names by design; the contract
-- spec's own help texts are no logic.
local function builtin(path) return path:find("stdlib/labsh/homelab", 1, true) ~= nil end

test("the scanner finds a plan name in code and ignores it in a comment", function()
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write('local x = lab.vlan("management").subnet\n', '-- the plan: lab.vlan("management")\n',
          'local y = "text" -- role = "k8s-master"\n', 'if s.vlan == 50 then end\n')
  f:close()
  local found = findings({ path }, FORBIDDEN, "--")
  os.remove(path)
  assert_eq(#found, 2, table.concat(found, "\n"))
  assert(found[1]:find(":1: the plan's zone management", 1, true), found[1])
  assert(found[2]:find(":4: a VLAN id compared", 1, true), found[2])
end)

test("no script, playbook or library module names the plan's hosts, roles, VLAN ids or zones", function()
  local found = findings(lua_sources(), FORBIDDEN, "--", builtin)
  assert(#found == 0, #found .. " plan names in code:\n" .. table.concat(found, "\n"))
end)

test("no Swift rule names the plan's roles, VLAN ids or zones", function()
  local paths = {}
  for _, path in ipairs(files("Sources/Homelab", "swift")) do
    -- the Ansible import maps group names people use ("proxmox", "pve") onto kinds
    if not path:find("/Ansible/", 1, true) then paths[#paths + 1] = path end
  end
  local found = findings(paths, FORBIDDEN_SWIFT, "//")
  assert(#found == 0, #found .. " plan names in Swift rules:\n" .. table.concat(found, "\n"))
end)
