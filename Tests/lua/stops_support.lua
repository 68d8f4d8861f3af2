-- Helpers for the specs that stop a child labsh at a known point
-- (trust_stops_spec, issue14_gaps_spec): each child runs in its own
-- scratch directory and state, and is signalled once it reached a marker.
-- Not a spec itself.
--
--   local stops = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/stops_support.lua")("labsh-stops-spec")

local filesystem = require "labsh.filesystem"

local labsh = os.getenv("LABSH_BIN") or arg[-1]

local function quoted(word) return ("'%s'"):format(word:gsub("'", "'\\''")) end

local function shell_words(list)
  local out = {}
  for i, word in ipairs(list) do out[i] = quoted(word) end
  return table.concat(out, " ")
end

return function(prefix)
  local s = { labsh = labsh, quoted = quoted, shell_words = shell_words }
  local tmp = filesystem.temp_directory(prefix)
  s.dir = tmp  -- the scratch directory
  local serial = 0

  --- A new path in the scratch directory, named after `name`.
  function s.fresh(name)
    serial = serial + 1
    return ("%s/%s-%d"):format(tmp, name, serial)
  end

  --- A script file holding `text`; its path.
  function s.script(text)
    local path = s.fresh("script") .. ".lua"
    write_file(path, text)
    return path
  end

  --- A new directory only its owner may use (a state directory).
  function s.private_dir(name)
    local dir = s.fresh(name)
    filesystem.make_directories(dir)
    assert(os.execute("chmod 700 " .. dir))
    return dir
  end

  --- Runs labsh with `args` in the background and, for each of `signals`
  --- ({marker, signal} in order), waits until the marker file exists (or,
  --- for {said = TEXT, signal}, until stderr says TEXT) and sends the
  --- signal. Returns the exit code and stderr.
  function s.run(args, env, signals)
    local err = s.fresh("stderr")
    local lines = { ("%s %s 2>%s & p=$!"):format(quoted(labsh), shell_words(args), err) }
    for _, sig in ipairs(signals or {}) do
      local waiting = sig.said and ("! grep -qF -- %s %s"):format(quoted(sig.said), err)
        or ("[ ! -e %s ]"):format(quoted(sig[1]))
      lines[#lines + 1] = ("i=0; while %s && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; kill -%s $p")
        :format(waiting, sig[2] or sig.signal)
    end
    lines[#lines + 1] = "wait $p; echo $?"
    local r = lab.process.run { argv = { "sh", "-c", table.concat(lines, "\n") }, timeout = 60, env = env or {} }
    assert(r.status == 0, "the shell around labsh failed: " .. r.stderr)
    return tonumber(r.stdout:match("(%d+)%s*$")), read_file(err) or ""
  end

  --- A line the script under test runs when it reaches a point.
  function s.touch_code(path) return ("io.open(%q, 'w'):close()"):format(path) end

  function s.assert_has(text, piece, what)
    if not text:find(piece, 1, true) then error(("%s: expected %q in:\n%s"):format(what, piece, text), 2) end
  end

  function s.assert_lacks(text, piece, what)
    if text:find(piece, 1, true) then error(("%s: did not expect %q in:\n%s"):format(what, piece, text), 2) end
  end

  --- The audit log of the state directory `state`, one record a line.
  function s.audit_lines(state)
    local lines = {}
    for line in (read_file(state .. "/audit.log") or ""):gmatch("[^\n]+") do
      lines[#lines + 1] = lab.json.decode(line)
    end
    return lines
  end

  return s
end
