"""Excel workbooks in and out, through openpyxl (imported only here, only for .xlsx).

Reading: the first sheet or the one named, read-only (rows streamed, formulas as their
last computed values). Writing: a write-only workbook (rows streamed to disk, so memory
does not grow with the rows), numbers as numbers, text neutralised as in CSV and stored
as text (never a formula), the header row frozen; written to the temporary file that
write.output_stream renames into place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from her2dose import render
from her2dose.batch.kinds import STATUS_COLUMNS
from her2dose.batch.read import Layout, Row, UsageError

MISSING_LIBRARY = (
    "reading or writing .xlsx needs openpyxl: pip install 'her2dose[xlsx]' (or save the "
    "sheet as CSV UTF-8)"
)


def _openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:
        raise UsageError("input", MISSING_LIBRARY) from None
    return openpyxl


def sheet_rows(binary: IO[bytes], sheet: str | None) -> tuple[Iterator[list[Any]], Any]:
    """The cells of each row of the sheet, and the workbook (close it when done)."""
    openpyxl = _openpyxl()
    import io
    import zipfile

    if not binary.seekable():  # stdin: a workbook is a zip file, read from its end
        binary = io.BytesIO(binary.read())
    try:
        book = openpyxl.load_workbook(binary, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UsageError(
            "input", f"the input is not an Excel .xlsx workbook that can be read ({error})"
        ) from None
    if sheet is None:
        worksheet = book.worksheets[0]
    elif sheet in book.sheetnames:
        worksheet = book[sheet]
    else:
        book.close()
        raise UsageError(
            "sheet",
            f"--sheet '{sheet}' is not a sheet of the workbook; its sheets are "
            f"{', '.join(book.sheetnames)}",
        )
    return (list(row) for row in worksheet.iter_rows(values_only=True)), book


class XlsxWriter:
    """The batch's rows as one worksheet; `close()` writes the workbook to `handle`."""

    def __init__(
        self,
        handle: IO[bytes],
        layout: Layout,
        columns: list[str],
        constants: dict[str, Any] | None = None,
        merged: bool = False,
        title: str = "batch",
    ) -> None:
        openpyxl = _openpyxl()
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        self.illegal = ILLEGAL_CHARACTERS_RE
        self.handle = handle
        self.workbook = openpyxl.Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(title)
        self.sheet.freeze_panes = "A2"
        self.before = [layout.columns[i] for i in layout.before]
        self.after = [layout.columns[i] for i in layout.after]
        if merged:
            self.before, self.after = self.before + self.after, []
        self.merged = merged
        self.known = {*self.before, *self.after}
        self.columns = columns
        self.constants = constants or {}
        self.texts: dict[str, str] = {}
        self.sheet.append(
            [self.text(c) for c in (*self.before, *STATUS_COLUMNS, *columns, *self.after)]
        )

    def text(self, value: str) -> str:
        cell = self.texts.get(value)
        if cell is None:
            if len(self.texts) >= 8192:
                self.texts.clear()
            # control characters cannot be stored in a workbook: shown as U+FFFD
            cell = self.texts[value] = self.illegal.sub("\ufffd", render.neutralise(value))
        return cell

    def cell(self, key: str, value: Any) -> Any:
        kind = type(value)
        if kind is int or kind is float:
            return value
        if value is None:
            return None
        if kind is str:
            return self.text(value)
        converted = render.csv_cell(key, value)
        return self.text(converted) if type(converted) is str else converted

    def problem(self, row: Row) -> str | None:
        for name, _ in (*row.before, *row.after):
            if name not in self.known:
                return (
                    f"key '{name}' is not in the first line; xlsx output takes its columns "
                    "from the first line (or write --format jsonl)"
                )
        return None

    def write(
        self,
        row: Row,
        record: dict[str, Any] | None,
        error: str | None,
        combination: dict[str, Any] | None = None,
    ) -> None:
        values = dict(row.before)
        values.update(row.after)
        cells = [self.passthrough(values.get(name)) for name in self.before]
        if record is None:
            cells += ["error", self.text(error or ""), *([None] * len(self.columns))]
        else:
            cells += ["ok", None]
            constants = self.constants
            for key in self.columns:
                if key in record:
                    value = record[key]
                elif combination is not None and key in combination:
                    value = combination[key]
                else:
                    value = constants.get(key)
                cells.append(self.cell(key, value))
        cells += [self.passthrough(values.get(name)) for name in self.after]
        self.sheet.append(cells)

    def passthrough(self, value: Any) -> Any:
        if type(value) is str:  # an order id or MRN: new on every row, so not remembered
            return self.illegal.sub("\ufffd", render.neutralise(value)) if value else None
        return value if value is None or isinstance(value, (int, float)) else str(value)

    def close(self) -> None:
        self.workbook.save(self.handle)
