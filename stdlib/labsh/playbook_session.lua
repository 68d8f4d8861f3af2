-- labsh.playbook_session: several commands in one ssh session, each with
-- its own exit status, stdout and stderr, as if each had had a session of
-- its own. Playbooks send their state checks (labsh.playbook_gather) and
-- their changes (labsh.playbook_batch) this way.
--
-- The remote side is a POSIX sh script and coreutils: each command runs in
-- its own /bin/sh; its status and the lengths of its stdout and stderr head
-- their bytes. The answer is read strictly: file names and contents with
-- newlines, NULs or any other bytes cannot shift a record, and an answer
-- that does not have exactly the expected form is an error, never a guess.
-- A change (write = true) that fails ends the script: what follows it
-- does not run, as when its own session would have stopped the play.

local remote = require "labsh.remote"
local base64 = require "labsh.base64"

local session = {}

-- A change's stdin travels in the script as URL-safe base64 (any bytes,
-- NUL too), decoded with tr and base64 on the host.
local script_head = [[
d=$(mktemp -d) || exit 1
trap 'rm -rf -- "$d"' EXIT
labsh_answer() {
  printf 'labsh-read %s %s %s %s\n' "$1" "$2" "$(($(wc -c <"$d/o")))" "$(($(wc -c <"$d/e")))"
  cat -- "$d/o" "$d/e"
}
labsh_read() {
  /bin/sh -c "$2" </dev/null >"$d/o" 2>"$d/e"
  labsh_answer "$1" $?
}
labsh_write() {
  printf '%s' "$3" | tr -- '-_' '+/' | base64 -d >"$d/i" || exit 1
  /bin/sh -c "$2" <"$d/i" >"$d/o" 2>"$d/e"
  s=$?
  labsh_answer "$1" $s
  if [ $s -ne 0 ]; then printf 'labsh-end %s\n' "$1"; exit 0; fi
}
]]

--- The POSIX sh script that runs `records` ({script, stdin, write}) in turn.
function session.script(records)
  local lines = { script_head }
  for i, r in ipairs(records) do
    if r.write then
      lines[#lines + 1] = ("labsh_write %d %s '%s'\n"):format(i, remote.quote(r.script), base64.url_encode(r.stdin or ""))
    else
      lines[#lines + 1] = ("labsh_read %d %s\n"):format(i, remote.quote(r.script))
    end
  end
  lines[#lines + 1] = ("printf 'labsh-end %%s\\n' %d\n"):format(#records)
  return table.concat(lines)
end

local result_meta = { __index = { ok = function(self) return self.status == 0 end }, __name = "lab.ExecResult" }

local header = "^labsh%-read (%d%d?%d?%d?%d?%d?) (%d%d?%d?) (%d%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?) "
  .. "(%d%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?)\n"

--- The answers in `text` to the script of `records`: a list of results
--- {status, stdout, stderr}, one per record that ran (all of them, unless
--- a change failed: then it is the last), or nil and what is wrong.
function session.parse(text, records, host)
  local answers, at = {}, 1
  local function the_end(count)
    if text:sub(at) ~= ("labsh-end %d\n"):format(count) then
      return nil, ("no end line after record %d"):format(count)
    end
    return answers
  end
  for i = 1, #records do
    local _, last, index, status, out_len, err_len = text:find(header, at)
    if not last then return nil, ("record %d: no header at byte %d"):format(i, at) end
    if tonumber(index) ~= i then return nil, ("record %d: numbered %s"):format(i, index) end
    status, out_len, err_len = tonumber(status), tonumber(out_len), tonumber(err_len)
    if status > 255 then return nil, ("record %d: exit status %d"):format(i, status) end
    if last + out_len + err_len > #text then return nil, ("record %d: cut short"):format(i) end
    answers[i] = setmetatable({
      host = host, status = status, elapsed = 0,
      stdout = text:sub(last + 1, last + out_len),
      stderr = text:sub(last + out_len + 1, last + out_len + err_len),
    }, result_meta)
    at = last + out_len + err_len + 1
    if records[i].write and status ~= 0 then return the_end(i) end  -- a failed change ends the script
  end
  return the_end(#records)
end

--- Runs `records` on host `name` in one session (as root through sudo when
--- `sudo`; `read_only`: they only read, and run under --dry-run too). Its
--- answers; or nil and the ssh error that stood in the way; or nil, nil and
--- what is wrong with the host's answer.
function session.run(name, records, sudo, read_only)
  local r = remote.run(name, "/bin/sh", { stdin = session.script(records), read_only = read_only or nil, sudo = sudo })
  if remote.is_error(r) then return nil, r end
  if r.dry_run then return nil end
  if r.status ~= 0 then
    return nil, nil, ("the session's script exited %s: %s"):format(tostring(r.status or r.signal),
      (r.stderr:match("([^\n]+)\n?$") or ""))
  end
  local answers, why = session.parse(r.stdout, records, name)
  if not answers then return nil, nil, "the host's answer is malformed: " .. why end
  return answers
end

return session
