"""One module per command: a request record in, a result record out, through one plan computation."""
