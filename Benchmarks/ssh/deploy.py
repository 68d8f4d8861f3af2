# The pyinfra side of Benchmarks/ssh.sh: the same 10 tasks as playbook.lua
# and playbook.yml, reaching the same files, modes and owners (ssh.sh
# compares them on every host after each tool).
from io import StringIO

from pyinfra.operations import files

files.put(name="motd", src=StringIO("managed by labsh\n"), dest="/srv/bench/motd", mode="644")
files.line(name="no passwords", path="/srv/bench/sshd_config", line="^PasswordAuthentication.*",
           replace="PasswordAuthentication no")
files.directory(name="app dir", path="/srv/bench/app", mode="755")
files.file(name="flag", path="/srv/bench/flag")
files.put(name="issue", src=StringIO("labsh bench host\n"), dest="/srv/bench/issue", mode="644")
files.line(name="root by key only", path="/srv/bench/sshd_config", line="^PermitRootLogin.*",
           replace="PermitRootLogin prohibit-password")
files.directory(name="data dir", path="/srv/bench/data", mode="750")
files.put(name="app config", src=StringIO("port = 8080\nlog = info\n"), dest="/srv/bench/app/app.conf",
          mode="640")
files.line(name="forwarding", path="/srv/bench/sysctl.conf", line="^net.ipv4.ip_forward.*",
           replace="net.ipv4.ip_forward = 1")
files.file(name="ready", path="/srv/bench/data/ready")
