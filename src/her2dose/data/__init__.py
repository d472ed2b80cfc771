"""Reading regimens.toml into a validated RegimenBook; the file's path, SHA-256 and the local clock."""
