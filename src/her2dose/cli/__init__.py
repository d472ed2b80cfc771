"""The command line: the only importer of Typer. Reads argv, the environment and the clock."""

from her2dose.cli.app import app, main

__all__ = ["app", "main"]
