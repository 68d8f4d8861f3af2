-- guests-per-node: how many guests each node of the inventory runs.
--
--   labsh -m guests-per-node [--min N]    nodes with at least N guests (default 0)
--
-- It only reads the model, so it requires nothing: an operator grants it
-- nothing, and any effect it tried would be refused.

local placement = require "placement"

return labsh.script {
  name = "guests-per-node",
  version = "1.0.0",
  description = "how many guests each node of the inventory runs",
  formats = { "text", "json" },
  params = { { "--min", "N", "only nodes with at least N guests", type = "count", default = 0 } },
  exit = "0 done, 2 usage",
  requires = {},
  run = function(_, opts)
    local rows = {}
    for _, row in ipairs(placement.guests_per_node(lab.nodes(), lab.guests())) do
      if row.guests >= opts.min then rows[#rows + 1] = row end
    end
    if lab.cli.json() then
      print(lab.json.encode(setmetatable(rows, lab.json.array)))
    else
      for _, row in ipairs(rows) do print(("%-20s %d"):format(row.node, row.guests)) end
    end
  end,
}
