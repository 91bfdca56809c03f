"""The built-in node packs: one module per node family, each exporting NODES."""
