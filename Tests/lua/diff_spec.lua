-- labsh.diff (what check mode shows) and labsh.template (what template
-- tasks render). The diffs are checked by the real GNU patch: applied to
-- the old text, each must give the new one exactly.

local diff = require "labsh.diff"
local template = require "labsh.template"

local function patched(old, patch)
  local file = write_temp(old)
  local patch_file = write_temp(patch)
  local r = lab.process.run { argv = { "patch", "-s", "-f", "-o", "-", file, patch_file } }
  os.remove(file)
  os.remove(patch_file)
  assert_eq(r.status, 0, "patch refused it: " .. r.stdout .. r.stderr .. "\n" .. patch)
  return r.stdout
end

-- A random text of up to `n` lines from a small alphabet, so that lines
-- repeat and the diff has choices to make.
local function random_text(n, final_newline)
  local lines = {}
  for i = 1, math.random(0, n) do lines[i] = ("line %d"):format(math.random(1, 6)) end
  local text = table.concat(lines, "\n")
  if #lines > 0 and final_newline then text = text .. "\n" end
  return text
end

test("diff -u output that GNU patch applies, on 300 random pairs of texts", function()
  math.randomseed(8)
  for _ = 1, 300 do
    local old = random_text(30, math.random() < 0.8)
    local new = random_text(30, math.random() < 0.8)
    local patch = diff.unified(old, new, "a/f", "b/f")
    if old == new then
      assert_eq(patch, "")
    elseif old ~= "" then  -- patch cannot create from an empty file without /dev/null headers
      assert_eq(patched(old, patch), new)
    end
  end
end)

test("hunks as diff -u writes them: context, ranges, a missing final newline", function()
  local old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n"
  local new = "a\nb\nX\nd\ne\nf\ng\nh\ni\nj\nk\nl\n"
  assert_eq(diff.unified(old, new, "a/f", "b/f"), table.concat({
    "--- a/f", "+++ b/f",
    "@@ -1,6 +1,6 @@", " a", " b", "-c", "+X", " d", " e", " f",
    "@@ -9,3 +9,4 @@", " i", " j", " k", "+l", "" }, "\n"))
  assert_eq(diff.unified(nil, "new\n", "f", "f"), "--- /dev/null\n+++ f\n@@ -0,0 +1 @@\n+new\n")
  assert_eq(diff.unified("x\ny", "x\nz\n", "f", "f"),
    "--- f\n+++ f\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+z\n")
end)

test("templates: expressions, statements, and errors with the template's line", function()
  local text = "# {{ title }}\n{% for i = 1, n do %}\nline {{ i }}{{ nothing }}\n{% end %}\nend\n"
  assert_eq(template.render(text, { title = "hosts", n = 2 }), "# hosts\nline 1\nline 2\nend\n")
  assert_eq(template.render("{{ #lab.nodes() }} nodes", {}), #lab.nodes() .. " nodes")
  local ok, err = pcall(template.render, "a\nb\n{{ 1 + nil }}\n", {}, "hosts.tmpl")
  assert(not ok and err:find("^hosts.tmpl:3: "), err)
  ok, err = pcall(template.render, "a\n{% if x then %}\nb {{ x\n", {}, "t")
  assert(not ok and err:find("line 3: '{{' is not closed", 1, true), err)
  ok, err = pcall(template.render, "{{ os.execute('true') }}", {}, "t")
  assert(not ok, "no os in a template")
end)
