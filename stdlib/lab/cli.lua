-- lab.cli: the script contract of labsh.cli for operators' own scripts
-- (declared options and arguments, --help, usage errors, --format).
return require "labsh.cli"
