-- lab.ssh: commands and files on inventory hosts over SSH (labsh.remote
-- does the work; stdlib/meta/ssh.d.lua documents each function).

local remote = require "labsh.remote"

return {
  exec = remote.exec,
  run = remote.run,
  hosts = remote.hosts,
  access = remote.access,
  copy = remote.copy,
  fetch = remote.fetch,
  close = remote.close,
  quote = remote.quote,
}
