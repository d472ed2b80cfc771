"""The one table writer: rich.text.Text cells, never markup; never a cut number.

Every command's human output is a Sheet: item/value rows, free lines (reminders, notes),
grids (one row per level or per dose) and warnings, laid out here for the console's width.
A cell is plain text (or a Text with styles): a '[...]' in a regimens path or a label
sentence prints as written. Nothing is ever cut with '…': a value too wide for its column
wraps at spaces (a single word wider than the whole line folds, which only a long path
can be); an item/value row whose value column would be narrower than MIN_VALUE puts its
value under its label; a grid too wide for the line becomes one block of item/value pairs
per row. Rich is imported only when a sheet is printed: JSON output never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from her2dose.render.evidence import SOURCE_WORDS, document_level

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

LABEL_MAX = 14  # a longer item label stacks its row rather than widen every row
MIN_VALUE = 24  # a value column narrower than this stacks the value under its label
LONG = 40  # lines: a longer sheet says its warnings again at the end
GAP = "  "
INDENT = "  "

# Warning colours on a terminal (none with NO_COLOR or when not a terminal: Rich's rule)
SEVERE = "bold red"  # refusals, above the label, expired vials
WARNING = "bold yellow"

Cell = Any  # str or rich.text.Text


class Grid:
    """A table of several columns, laid out by _grid. (A plain class, not a dataclass:
    building one at import costs a millisecond of every start.)"""

    def __init__(
        self,
        columns: list[str],
        rows: list[list[Cell]],
        right: frozenset[int] = frozenset(),
        keys: int = 1,
        wrap: frozenset[int] = frozenset(),
    ) -> None:
        self.columns = columns
        self.rows = rows
        self.right = right  # right-justified columns
        self.keys = keys  # leading cells that head a row's block when the grid is stacked
        self.wrap = wrap  # columns that may wrap at spaces to fit the line


class Sheet:
    """A command's human output, block by block, laid out when printed."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, Any]] = []
        self.warnings: list[tuple[str, str]] = []  # (text, style), said again if long

    def title(self, text: str) -> None:
        self.blocks.append(("title", text))

    def row(self, label: str, value: Cell, style: str = "") -> None:
        self.blocks.append(("row", (label, value, style)))

    def line(self, *parts: str | tuple[str, str], style: str = "") -> None:
        """A free line (wrapped, continuation indented): parts are text or (text, style)."""
        self.blocks.append(("line", (parts, style)))

    def warning(self, text: str, severe: bool = False) -> None:
        line = (("WARNING: " if severe else "warning: ") + text, SEVERE if severe else WARNING)
        self.line(line)
        self.warnings.append(line)

    def gap(self) -> None:
        if self.blocks and self.blocks[-1][0] != "gap":
            self.blocks.append(("gap", None))

    def grid(
        self,
        columns: list[str],
        rows: list[list[Cell]],
        right: tuple[int, ...] = (),
        keys: int = 1,
        wrap: tuple[int, ...] = (),
    ) -> None:
        n = len(columns)
        grid = Grid(
            columns,
            rows,
            frozenset(i for i in right if i < n),
            keys,
            frozenset(i for i in wrap if i < n),
        )
        self.blocks.append(("grid", grid))

    # --- layout ----------------------------------------------------------------------------

    def lines(self, console: Console, width: int | None = None) -> list[Text]:
        from rich.text import Text

        width = max(20, width or console.width)
        labels = [b[1][0] for b in self.blocks if b[0] == "row" and len(b[1][0]) <= LABEL_MAX]
        label_width = max((len(label) for label in labels), default=0)
        out: list[Text] = []
        for kind, block in self.blocks:
            if kind == "title":
                out += _wrapped(console, Text(block, style="bold"), width)
            elif kind == "row":
                label, value, style = block
                out += _row(console, label, _text(value, style), label_width, width)
            elif kind == "line":
                parts, style = block
                out += _wrapped(console, Text.assemble(*parts, style=style), width)
            elif kind == "grid":
                out += _grid(console, block, width)
            elif kind == "gap":
                out.append(Text(""))
        while out and not out[-1].plain:
            out.pop()
        if self.warnings and len(out) > LONG:
            # long enough that the warnings after the answer may have scrolled away
            out.append(Text(""))
            for line in self.warnings:
                out += _wrapped(console, Text.assemble(line), width)
        return out

    def print(self, console: Console) -> None:
        for line in self.lines(console):
            console.print(line, no_wrap=True, overflow="ignore", crop=False, soft_wrap=True)


def _text(value: Cell, style: str = "") -> Text:
    from rich.text import Text

    if isinstance(value, Text):
        return value
    return Text(str(value), style=style)


def _wrap(console: Console, text: Text, width: int) -> list[Text]:
    """text in lines of at most `width` cells, broken at spaces; folds only a word longer
    than the whole line."""
    out: list[Text] = []
    for piece in text.split("\n"):
        lines = piece.wrap(console, max(1, width), overflow="fold", no_wrap=False)
        out += [line.rstrip() or line for line in lines] or [piece]
    return out


def _wrapped(console: Console, text: Text, width: int) -> list[Text]:
    """A free line: wrapped, every line after the first indented."""
    from rich.text import Text

    first, *rest = _wrap(console, text, width - len(INDENT)) or [Text("")]
    return [first, *(Text(INDENT) + line for line in rest)]


def _row(
    console: Console,
    label: str,
    value: Text,
    label_width: int,
    width: int,
    min_value: int = MIN_VALUE,
) -> list[Text]:
    from rich.text import Text

    value_width = width - label_width - len(GAP)
    head = Text(label, style="bold")
    if not label:
        return [
            Text(" " * (label_width + len(GAP))) + line
            for line in _wrap(console, value, value_width)
        ]
    if len(label) > label_width or value_width < min_value:
        # stacked: the label on its own line, the value indented under it
        return [head, *(Text(INDENT) + line for line in _wrap(console, value, width - 2))]
    lines = _wrap(console, value, value_width)
    pad = Text(" " * (label_width - len(label)) + GAP)
    out = [head + pad + lines[0]]
    out += [Text(" " * (label_width + len(GAP))) + line for line in lines[1:]]
    return out


def _grid(console: Console, grid: Grid, width: int) -> list[Text]:
    from rich.text import Text

    cells = [[_text(c) for c in row] for row in grid.rows]
    out: list[Text] = []
    # a column with one value in every row is said once, above the rows
    same = [
        i
        for i in range(grid.keys, len(grid.columns))
        if len(cells) > 1 and len({row[i].plain for row in cells}) == 1 and cells[0][i].plain
    ]
    if same:
        said = Text("; ").join(Text(f"{grid.columns[i]} ") + cells[0][i] for i in same)
        out += _wrapped(console, Text("every row: ") + said, width)
        keep = [i for i in range(len(grid.columns)) if i not in same]
        grid = Grid(
            [grid.columns[i] for i in keep],
            [[row[i] for i in keep] for row in cells],
            frozenset(keep.index(i) for i in grid.right if i in keep),
            grid.keys,
            frozenset(keep.index(i) for i in grid.wrap if i in keep),
        )
        cells = grid.rows
    widths = [
        max([len(name), *(row[i].cell_len for row in cells)]) for i, name in enumerate(grid.columns)
    ]
    room = width - len(GAP) * (len(widths) - 1)
    # wrapping columns give way, widest first, down to their longest word
    floor = {
        i: max([len(grid.columns[i]), *(len(w) for row in cells for w in row[i].plain.split())])
        for i in grid.wrap
    }
    while sum(widths) > room:
        shrinkable = [i for i in grid.wrap if widths[i] > floor[i]]
        if not shrinkable:
            break
        widths[max(shrinkable, key=lambda i: widths[i])] -= 1
    if sum(widths) > room or any("\n" in c.plain for row in cells for c in row):
        return out + _stacked(console, grid, cells, width)
    header = Text()
    for i, name in enumerate(grid.columns):
        cell = name.rjust(widths[i]) if i in grid.right else name.ljust(widths[i])
        header.append(cell + (GAP if i < len(widths) - 1 else ""), style="bold")
    out.append(header)
    for row in cells:
        parts = [_wrap(console, cell, widths[i]) for i, cell in enumerate(row)]
        for n in range(max(len(p) for p in parts)):
            line = Text()
            for i, part in enumerate(parts):
                cell = part[n] if n < len(part) else Text("")
                fill = " " * (widths[i] - cell.cell_len)
                line += Text(fill) + cell if i in grid.right else cell + Text(fill)
                if i < len(parts) - 1:
                    line.append(GAP)
            out.append(line)
    return [line.rstrip() or line for line in out]


def _stacked(console: Console, grid: Grid, cells: list[list[Text]], width: int) -> list[Text]:
    """A grid too wide for the line: one block per row, its key cells as the block's head
    and every other cell as an item/value line under it."""
    from rich.text import Text

    label_width = max(len(name) for name in grid.columns[grid.keys :])
    out: list[Text] = []
    for row in cells:
        head = Text(f"{grid.columns[0]} ", style="bold") + Text(GAP).join(row[: grid.keys])
        head.stylize("bold")
        out += _wrap(console, head, width)
        for name, cell in zip(grid.columns[grid.keys :], row[grid.keys :], strict=True):
            if cell.plain:
                out += [
                    Text(INDENT) + line
                    for line in _row(
                        console, name, cell, label_width, width - len(INDENT), min_value=12
                    )
                ]
    return out


def is_severe(warning: str) -> bool:
    """A warning shown in red rather than yellow: a dose above the label, a vial that must
    not be used."""
    text = warning.lower()
    return any(word in text for word in ("above the label", "above the maximum", "expired"))


def sources_text(sources: list[str] | tuple[str, ...], details: bool = False) -> str:
    """Every source in full (details), else each document once with its sections: long
    parenthesised remarks left out, 'X US PI §2.2' and 'X US PI §3' as 'X US PI §2.2, §3'."""
    if details:
        return "; ".join(dict.fromkeys(sources))
    documents: dict[str, list[str]] = {}
    for source in sources:
        text = _without_long_remarks(source)
        for part in text.split(";"):
            document, _, sections = part.strip().partition(" §")
            if document:
                found = documents.setdefault(document, [])
                found += [f"§{s.strip()}" for s in sections.split(", §") if s.strip()]
    return "; ".join(
        " ".join([document, ", ".join(dict.fromkeys(sections))]).strip()
        for document, sections in documents.items()
    )


def _without_long_remarks(text: str) -> str:
    """text without its long parenthesised remarks (a paraphrase of the label, however
    nested); short ones such as "(2013 label)" say which document and stay."""
    out, depth, start = [], 0, 0
    kept_to = 0
    for i, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = i
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0 and i + 1 - start >= LONG_REMARK:
                out.append(text[kept_to:start].rstrip())
                kept_to = i + 1
    out.append(text[kept_to:])
    return "".join(out)


LONG_REMARK = 25  # characters, the parentheses included


def footer(sheet: Sheet, sources: Any, book_path: str, sha256: str, details: bool = False) -> None:
    """The last lines of every table: the sources, short, and the regimens file used."""
    if sources:
        sheet.line(("Sources: " + sources_text(tuple(s for s in sources if s), details), "dim"))
    sheet.line((f"Regimens file: {book_path} (sha256 {sha256})", "dim"))


def warnings_block(sheet: Sheet, warnings: Any) -> None:
    """A result's warnings, right after its answer (stderr has them too, for scripts)."""
    if warnings:
        sheet.gap()
        for warning in warnings:
            sheet.warning(warning, severe=is_severe(warning))


def grouped_sources(sourced: list[tuple[str, str]]) -> str:
    """One short sources line: each document once with its sections, documents of one
    evidence level together, followed by that level's word:
    'ENHERTU US PI §2.2, §3 (US label); NDC 65597-406-01 (FDA product listing)'."""
    groups: dict[str, dict[str, list[str]]] = {}
    for source, level in sourced:
        for part in _without_remarks(source).split(";"):
            document, _, sections = part.strip().partition(" §")
            # the short line names a document by its first part; --details has it in full
            document = document.split(", ")[0].strip()
            if not document:
                continue
            found = groups.setdefault(document_level(document, level), {})
            found.setdefault(document, [])
            found[document] += [f"§{s.strip()}" for s in sections.split(", §") if s.strip()]
    parts = []
    for level, documents in groups.items():
        named = "; ".join(
            " ".join([document, ", ".join(dict.fromkeys(sections))]).strip()
            for document, sections in documents.items()
        )
        word = SOURCE_WORDS.get(level)
        parts.append(f"{named} ({word})" if word else named)
    return "; ".join(parts)


def _without_remarks(text: str) -> str:
    """text without any parenthesised remark (the evidence word says what the document is)."""
    out, depth = [], 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(char)
    return " ".join("".join(out).split()).replace(" ,", ",").replace(" ;", ";")
