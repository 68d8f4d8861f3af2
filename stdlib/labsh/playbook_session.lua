-- labsh.playbook_session: several commands in one ssh session, each with
-- its own exit status, stdout and stderr, as if each had had a session of
-- its own. Playbooks send their state checks (labsh.playbook_gather) and
-- their changes (labsh.playbook_batch) this way.
--
-- The remote side is a POSIX sh script and coreutils. Each command runs in
-- a subshell (no new program: a host answers fifty reads about as fast as
-- one), its stdout and stderr into files; at the end one wc gives their
-- lengths and one cat their bytes:
--
--   labsh-answers K            K commands ran
--   labsh-read I STATUS OUT ERR  one line per command, I = 1..K
--   <stdout 1><stderr 1>...<stdout K><stderr K>
--   labsh-end K
--
-- The answer is read strictly: file names and contents with newlines, NULs
-- or any other bytes cannot shift a record, and an answer that does not
-- have exactly the expected form is an error, never a guess. A change
-- (write = true) that fails ends the script: what follows it does not run,
-- as when its own session would have stopped the play.

local remote = require "labsh.remote"
local base64 = require "labsh.base64"

local session = {}

-- Each command sees no positional parameters and the session's working
-- directory (the login's home), as in a session of its own. A change's
-- stdin travels in the script as URL-safe base64 (any bytes, NUL too), and
-- is decoded whole before the change runs. The outputs wait in a private
-- directory (mktemp -d: mode 0700), removed when the script ends, also on
-- a hang-up.
local script_head = [[
labsh_dir=$(mktemp -d) || exit 1
trap 'rm -rf -- "$labsh_dir"' EXIT
trap 'exit 1' HUP INT TERM
labsh_run() {
  ( labsh_script=$2; set --; eval "$labsh_script" ) <"$3" >"$labsh_dir/o$1" 2>"$labsh_dir/e$1"
  eval "labsh_s$1=\$?"
}
labsh_answers() {
  cd "$labsh_dir" || exit 1
  labsh_files= ; i=1
  while [ "$i" -le "$1" ]; do labsh_files="$labsh_files o$i e$i"; i=$((i + 1)); done
  printf 'labsh-answers %s\n' "$1"
  wc -c $labsh_files | {
    i=1
    while [ "$i" -le "$1" ]; do
      read -r o _ && read -r e _ || exit 1
      eval "s=\$labsh_s$i"
      printf 'labsh-read %s %s %s %s\n' "$i" "$s" "$o" "$e"
      i=$((i + 1))
    done
  } || exit 1
  cat $labsh_files || exit 1
  printf 'labsh-end %s\n' "$1"
  exit 0
}
labsh_read() { labsh_run "$1" "$2" /dev/null; }
labsh_write() {
  printf '%s' "$3" | tr -- '-_' '+/' | base64 -d >"$labsh_dir/i" || exit 1
  labsh_run "$1" "$2" "$labsh_dir/i"
  eval "[ \$labsh_s$1 -eq 0 ]" || labsh_answers "$1"
}
]]

--- The POSIX sh script that runs `records` ({script, stdin, write}) in turn.
function session.script(records)
  local lines = { script_head }
  for i, r in ipairs(records) do
    if r.write then
      local stdin = base64.url_encode(r.stdin or "")
      lines[#lines + 1] = ("labsh_write %d %s '%s'\n"):format(i, remote.quote(r.script), stdin)
    else
      lines[#lines + 1] = ("labsh_read %d %s\n"):format(i, remote.quote(r.script))
    end
  end
  lines[#lines + 1] = ("labsh_answers %d\n"):format(#records)
  return table.concat(lines)
end

local result_meta = { __index = { ok = function(self) return self.status == 0 end }, __name = "lab.ExecResult" }

local number = "(%d%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?)"  -- up to 12 digits: no float, no overflow
local header = "^labsh%-read " .. number .. " (%d%d?%d?) " .. number .. " " .. number .. "\n"

--- The answers in `text` to the script of `records`: a list of results
--- {status, stdout, stderr}, one per record that ran (all of them, unless
--- a change failed: then it is the last), or nil and what is wrong.
function session.parse(text, records, host)
  local _, at, ran = text:find("^labsh%-answers " .. number .. "\n")
  ran = tonumber(ran)
  if not ran then return nil, "no first line" end
  if ran < 1 or ran > #records then return nil, ("%d answers to %d commands"):format(ran, #records) end
  local heads = {}
  for i = 1, ran do
    local _, last, index, status, out_len, err_len = text:find(header, at + 1)
    if not last then return nil, ("record %d: no header at byte %d"):format(i, at + 1) end
    if tonumber(index) ~= i then return nil, ("record %d: numbered %s"):format(i, index) end
    status = tonumber(status)
    if status > 255 then return nil, ("record %d: exit status %d"):format(i, status) end
    -- a failed change ends the script: it is the last record, and only it
    local stops = records[i].write == true and status ~= 0
    if stops ~= (i == ran and ran < #records) then
      return nil, ("record %d: %s"):format(i, stops and "a failed change, yet more ran" or "the answers stop here")
    end
    heads[i] = { status = status, out = tonumber(out_len), err = tonumber(err_len) }
    at = last
  end
  local answers = {}
  for i, h in ipairs(heads) do
    if at + h.out + h.err > #text then return nil, ("record %d: cut short"):format(i) end
    answers[i] = setmetatable({
      host = host, status = h.status, elapsed = 0,
      stdout = text:sub(at + 1, at + h.out),
      stderr = text:sub(at + h.out + 1, at + h.out + h.err),
    }, result_meta)
    at = at + h.out + h.err
  end
  if text:sub(at + 1) ~= ("labsh-end %d\n"):format(ran) then return nil, ("no end line after record %d"):format(ran) end
  return answers
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
