"""Many plans from a clinic list: read rows, run them through the commands, write atomically."""
