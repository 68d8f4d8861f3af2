-- labsh.playbook_file_reads: the file tasks' state reads of a host, all in
-- one step of the gather's session instead of one step each.
--
-- A file, line or template task first reads what is at its path (lab.task's
-- file_state): a few shell tests, `stat` for the mode and owner, and `cat`
-- for a file's content; two programs per file. On a cold run every program
-- the host starts costs CPU the ssh handshakes need, so the gather sends
-- those reads together: the same tests for every path, one `stat` for all
-- of them, one `cat` for all the contents. Each task then gets the very
-- answer its own script would have printed.
--
-- Only reads of exactly file_state's form are taken, and an answer is only
-- made when the step's output adds up in every part (each path's record
-- named, the contents as long as stat said). A read left without an answer
-- is read by its task as before (a round trip more, never another answer).

local remote = require "labsh.remote"

local file_reads = {}

-- lab.task's file_state script for `path`, with the `cat` clause when
-- `with_content`: a read is taken only when its text is exactly this.
local function state_script(path, with_content)
  return ('p=%s; if [ -L "$p" ]; then t=link; elif [ -d "$p" ]; then t=directory; '
    .. 'elif [ -e "$p" ]; then t=file; else t=absent; fi; '
    .. 'printf "%%s %%s\\n" "$t" "$(stat -c %%a:%%U:%%G -- "$p" 2>/dev/null)"; '
    .. '%s'):format(remote.quote(path), with_content and 'if [ "$t" = file ]; then exec cat -- "$p"; fi' or "")
end

-- The word remote.quote made of `path`, read back; nil for any other text.
local function unquote(word)
  local inner = word:match("^'(.*)'$")
  if not inner then return nil end
  local path = inner:gsub("'\\''", "'")
  if remote.quote(path) ~= word then return nil end
  return path
end

--- The path and whether the content is read, when `script` is a file
--- state read; nil for any other script.
function file_reads.recognize(script)
  local word = script:match("^p=('.-'); if %[ %-L ")
  local path = word and unquote(word)
  if not path then return nil end
  for _, with_content in ipairs { true, false } do
    if script == state_script(path, with_content) then return path, with_content end
  end
  return nil
end

--- The sh script reading every entry ({path, content}) at once. It prints
--- each path's kind, one a line ("content": a regular file whose bytes
--- follow); then stat's record of each path that exists, "NAME\0SIZE
--- MODE:USER:GROUP\0"; then the "content" files' bytes, in order.
function file_reads.script(entries)
  local words, paths = {}, {}
  for i, e in ipairs(entries) do
    words[i] = remote.quote((e.content and "c" or "n") .. e.path)
    paths[i] = remote.quote(e.path)
  end
  return table.concat {
    "set --; for e in ", table.concat(words, " "), "; do ",
    'p=${e#?}; if [ -L "$p" ]; then t=link; elif [ -d "$p" ]; then t=directory; ',
    'elif [ -e "$p" ]; then t=file; else t=absent; fi; ',
    'if [ "$t" = file ] && [ "${e%"$p"}" = c ] && [ -f "$p" ]; then t=content; set -- "$@" "$p"; fi; ',
    "printf '%s\\n' \"$t\"; done; ",
    "stat --printf '%n\\0%s %a:%U:%G\\0' -- ", table.concat(paths, " "), " 2>/dev/null; ",
    '[ $# -eq 0 ] || exec cat -- "$@"',
  }
end

local result_meta = { __index = { ok = function(self) return self.status == 0 end }, __name = "lab.ExecResult" }

-- What the entry's own script would have printed (exit 0, no stderr).
local function answer(host, kind, stat, content)
  local stdout = ("%s %s\n"):format(kind, stat) .. (content or "")
  return setmetatable({ host = host, status = 0, stdout = stdout, stderr = "", elapsed = 0 }, result_meta)
end

--- The answers in `result` (the script's outcome) to `entries`: a table
--- entry index -> the result its own read would have had. Empty when the
--- output does not add up; an entry it cannot stand in for (a fifo or a
--- device whose content was asked) has none.
function file_reads.answers(result, entries, host)
  if result.status ~= 0 or result.stderr ~= "" then return {} end
  local text, at = result.stdout, 1
  local kinds = {}
  for i = 1, #entries do
    local kind, stop = text:match("^(%a+)\n()", at)
    if not kind then return {} end
    kinds[i], at = kind, stop
  end
  local stats = {}
  for i, e in ipairs(entries) do
    if kinds[i] ~= "absent" then
      local name, size, rest, stop = text:match("^([^\0]*)\0(%d+) ([^\0]*)\0()", at)
      if name ~= e.path then return {} end
      stats[i], at = { size = tonumber(size), line = rest }, stop
    end
  end
  local contents = {}
  for i in ipairs(entries) do
    if kinds[i] == "content" then
      local stop = at + stats[i].size
      if stop - 1 > #text then return {} end
      contents[i], at = text:sub(at, stop - 1), stop
    end
  end
  if at ~= #text + 1 then return {} end  -- a file grew between stat and cat
  local out = {}
  for i, e in ipairs(entries) do
    local kind = kinds[i]
    if kind == "absent" then out[i] = answer(host, "absent", "")
    elseif kind == "content" then out[i] = answer(host, "file", stats[i].line, contents[i])
    elseif kind ~= "file" or not e.content then out[i] = answer(host, kind, stats[i].line)
    end
  end
  return out
end

return file_reads
