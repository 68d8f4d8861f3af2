-- The labsh side of Benchmarks/ssh.sh: the same 10 tasks as playbook.yml,
-- idempotent (the benchmark times the second and later runs).
return lab.playbook {
  name = "bench",
  hosts = { tag = "test" },
  parallel = 50,  -- every host at once, as pyinfra --parallel on the 50-host run
  tasks = {
    lab.task.file { name = "motd", path = "/srv/bench/motd", content = "managed by labsh\n", mode = "0644" },
    lab.task.line { name = "no passwords", path = "/srv/bench/sshd_config", regexp = "^PasswordAuthentication", line = "PasswordAuthentication no", create = true },
    lab.task.file { name = "app dir", path = "/srv/bench/app", state = "directory", mode = "0755" },
    lab.task.command { name = "flag", "touch /srv/bench/flag", creates = "/srv/bench/flag" },
    lab.task.file { name = "issue", path = "/srv/bench/issue", content = "labsh bench host\n", mode = "0644" },
    lab.task.line { name = "root by key only", path = "/srv/bench/sshd_config", regexp = "^PermitRootLogin", line = "PermitRootLogin prohibit-password", create = true },
    lab.task.file { name = "data dir", path = "/srv/bench/data", state = "directory", mode = "0750" },
    lab.task.file { name = "app config", path = "/srv/bench/app/app.conf", content = "port = 8080\nlog = info\n", mode = "0640" },
    lab.task.line { name = "forwarding", path = "/srv/bench/sysctl.conf", regexp = "^net.ipv4.ip_forward", line = "net.ipv4.ip_forward = 1", create = true },
    lab.task.command { name = "ready", "touch /srv/bench/data/ready", creates = "/srv/bench/data/ready" },
  },
}
