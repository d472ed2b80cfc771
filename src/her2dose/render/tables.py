"""The one table writer: rich.text.Text cells, never markup; never a cut number."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


def item_value_table(title: str):  # -> rich.table.Table
    """The two-column worksheet layout (bold item, value) every command's table uses.

    The title is plain text, never Rich markup: it holds names from the regimens file."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title), show_header=False, title_justify="left", expand=False)
    table.add_column("item", style="bold", no_wrap=True)
    table.add_column("value")
    return table
