"""What the simulated operations do: the handlers of every module, in one table.

pve_cluster (version, nodes, cluster status and resources, tasks),
pve_guests (qemu and lxc, written once for both), pve_storage (storage,
backups, vzdump, prune) and pve_ha (HA resources, rules, status) register
their operations with pve_ops.op. Writes that take time return a UPID and
act when their task ends (pve_state.Task). GET of a directory
(`/nodes/{node}/qemu/{vmid}`) is answered from the schema's paths
(directory_index); any other operation the schema has but nothing here
implements answers 501.
"""

import pve_cluster  # noqa: F401  (each registers its operations)
import pve_guests  # noqa: F401
import pve_ha  # noqa: F401
import pve_storage  # noqa: F401
from pve_ops import HANDLERS, Request  # noqa: F401


def directory_index(schema, template):
    return [{"subdir": name} for name in schema.children(template)]
