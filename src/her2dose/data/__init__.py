"""Reading regimens.toml into a validated RegimenBook; its path and SHA-256; the local clock."""
