-- An example shared library (README, "Writing a shared library"): what a
-- team keeps in git and puts on LABSH_PATH. `make test` checks it.
return {
  name = "example-library",
  version = "1.0.0",
  labsh = ">= 0.1",
  description = "guests per node, from any inventory",
}
