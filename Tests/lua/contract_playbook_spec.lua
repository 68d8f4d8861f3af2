-- A playbook's --diff (issue 15, "Ansible habits"): a real run shows each
-- changed file's diff only when asked, as ansible-playbook --diff does;
-- check mode shows them always. Against the sshd test hosts
-- (Tests/run-with-servers.sh).

local inventory = assert(os.getenv("LABSH_TEST_SSH_INVENTORY"), "run under Tests/run-with-servers.sh (no ssh test hosts)")

local root = "/srv/spec-contract-diff"

local function play_text(content)
  return ([[
return lab.playbook {
  name = "contract-diff",
  hosts = { tag = "test" },
  tasks = {
    lab.task.file { path = %q, state = "directory", mode = "0755" },
    lab.task.file { path = %q, content = %q, mode = "0644" },
  },
}
]]):format(root, root .. "/motd", content)
end

-- Runs the play from a file with `flags` before it and `args` after it.
local function play(content, args)
  local path = write_temp(play_text(content))
  local out, rc = run_labsh(("--inventory %s --yes %s %s"):format(inventory, path, args or ""))
  os.remove(path)
  return out, rc
end

local function clean()
  with_inventory(read_file(inventory), function() lab.exec({ tag = "test" }, "rm -rf " .. root) end)
end

test("a real run shows no diff without --diff", function()
  clean()
  local out, rc = play("first\n")
  assert_eq(rc, 0, out)
  assert(out:find("changed", 1, true), out)
  assert(not out:find("+first", 1, true), "a diff without --diff:\n" .. out)
end)

test("a real run with --diff shows each changed file's diff", function()
  local out, rc = play("second\n", "--diff")
  assert_eq(rc, 0, out)
  assert(out:find("+++ " .. root .. "/motd", 1, true), out)
  assert(out:find("-first", 1, true) and out:find("+second", 1, true), out)
  clean()
end)
