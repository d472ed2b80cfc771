"""One module per command: a request in, a result out, all through one plan computation."""
