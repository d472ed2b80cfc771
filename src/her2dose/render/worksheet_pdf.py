"""The worksheet drawn as a PDF with fpdf2: the only module that imports it, and only
when a PDF is asked for (`plan --format pdf`).

Rows are laid out label | value, every value wrapped (multi_cell), never cut. The page is
fitted to the part A4 and US Letter share; a sheet too long for it at the normal size is
drawn smaller, down to the last of SCALES, and only then runs on to further pages.
"""

from __future__ import annotations

from typing import Any

from her2dose.errors import OutputError
from her2dose.render.worksheet import Row, Worksheet, latin1

PAPER = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
# The layout is fitted to the part the two papers share, so it prints unscaled on either.
FIT_HEIGHT = 279.4
MARGIN = 10.0
SCALES = (1.0, 0.92, 0.85, 0.78, 0.72)


def pdf_bytes(sheet: Worksheet, paper: str = "a4") -> bytes:
    """The worksheet on one page if it fits at any of SCALES; else on more pages, never cut."""
    try:
        import fpdf  # noqa: F401  (an optional extra: say how to get it)
    except ImportError:
        raise OutputError(
            "--format pdf needs the fpdf2 package: pip install 'her2dose[pdf]' "
            "(or use --format html)"
        ) from None
    for scale in SCALES:
        pdf, fits = _draw(sheet, paper, scale, one_page=True)
        if fits:
            return bytes(pdf.output())
    pdf, _ = _draw(sheet, paper, SCALES[0], one_page=False)  # pages anyway: full size
    return bytes(pdf.output())


def _draw(sheet: Worksheet, paper: str, scale: float, one_page: bool) -> tuple[Any, bool]:
    from fpdf import FPDF

    width, height = PAPER[paper]
    pdf = FPDF(unit="mm", format=(width, height))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(not one_page, margin=MARGIN)
    pdf.set_title(latin1(sheet.title))
    pdf.set_creator("her2dose")
    if sheet.made_at is not None:
        pdf.set_creation_date(sheet.made_at)
    else:
        pdf.creation_date = None  # no date rather than the clock's: render never reads it
    pdf.add_page()
    inner = width - 2 * MARGIN
    line = 3.7 * scale
    body = 8.6 * scale

    def font(size: float, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)

    def text(w: float, value: str, size: float, style: str = "", h: float = line) -> None:
        font(size, style)
        pdf.multi_cell(w, h, latin1(value), align="L", new_x="LMARGIN", new_y="NEXT")

    def height_of(w: float, value: str, size: float, style: str, h: float) -> float:
        font(size, style)
        lines = pdf.multi_cell(w, h, latin1(value), dry_run=True, output="LINES")
        return len(lines) * h

    def row_height(r: Row, w: float, label_w: float) -> float:
        return max(
            height_of(label_w, r.label, body, "B", line),
            height_of(
                w - label_w,
                r.value,
                body * (1.25 if r.strong else 1.0),
                "B" if r.strong else "",
                line * (1.1 if r.strong else 1.0),
            ),
        )

    def row(r: Row, left: float, w: float, label_w: float) -> None:
        size = body * (1.25 if r.strong else 1.0)
        style = "B" if r.strong else ""
        value_h = line * (1.1 if r.strong else 1.0)
        h = row_height(r, w, label_w)
        y = pdf.get_y()
        if not one_page and pdf.will_page_break(h):
            pdf.add_page()
            y = pdf.get_y()
        pdf.set_xy(left, y)
        font(body, "B")
        pdf.multi_cell(label_w, line, latin1(r.label), align="L")
        pdf.set_xy(left + label_w, y)
        font(size, style)
        pdf.multi_cell(w - label_w, value_h, latin1(r.value), align="L")
        pdf.set_y(max(pdf.get_y(), y + h))

    text(inner, sheet.title, 14 * scale, "B", h=6.5 * scale)
    text(inner, sheet.subtitle, body)
    pdf.ln(0.8 * scale)
    label_w = 32.0
    for section in sheet.sections:
        pdf.set_x(MARGIN)
        font(body * 1.1, "B")
        pdf.set_fill_color(225, 225, 225)
        pdf.cell(
            inner, 4.6 * scale, latin1(section.title), fill=True, new_x="LMARGIN", new_y="NEXT"
        )
        top, page = pdf.get_y(), pdf.page_no()
        for r in section.rows:
            row(r, MARGIN + 1.5, inner - 3.0, label_w)
        if section.table:
            _table(pdf, section.table, inner, body, line, latin1)
        if section.alert and pdf.page_no() == page:  # a frame split over two pages: none
            pdf.set_line_width(0.5)
            pdf.rect(MARGIN, top - 4.6 * scale, inner, pdf.get_y() - top + 4.6 * scale + 0.6)
            pdf.set_line_width(0.2)
            pdf.ln(1.0)
        pdf.ln(0.8 * scale)

    for note in sheet.notes:
        text(inner, f"Note: {note}", body * 0.9)

    # the bag label: a dashed box to cut out
    pdf.ln(1.5 * scale)
    box_w = min(inner, 130.0)
    whole = 4.6 * scale + sum(row_height(r, box_w - 4, 30.0) for r in sheet.label) + 4.5
    whole += height_of(inner, sheet.footer, body * 0.8, "", line)
    if not one_page and pdf.will_page_break(whole):  # the label and footer are never split
        pdf.add_page()
    label_top = pdf.get_y()
    pdf.set_x(MARGIN + 2)
    font(body, "B")
    pdf.cell(box_w - 4, 4.6 * scale, latin1(sheet.label_title), new_x="LMARGIN", new_y="NEXT")
    for r in sheet.label:
        row(r, MARGIN + 2, box_w - 4, 30.0)
    pdf.set_dash_pattern(dash=1.5, gap=1.0)
    pdf.rect(MARGIN, label_top - 1.0, box_w, pdf.get_y() - label_top + 2.0)
    pdf.set_dash_pattern()
    pdf.set_y(pdf.get_y() + 2.5)
    text(inner, sheet.footer, body * 0.8)
    fits = pdf.page_no() == 1 and pdf.get_y() <= min(height, FIT_HEIGHT) - MARGIN
    return pdf, fits


def _table(
    pdf: Any, table: tuple[tuple[str, ...], ...], inner: float, body: float, line: float, fix
) -> None:
    widths = (12.0, 40.0, 50.0, 40.0, 40.0)
    scale = (inner - 3.0) / sum(widths)
    widths = tuple(w * scale for w in widths)
    for i, cells in enumerate(table):
        pdf.set_x(MARGIN + 1.5)
        pdf.set_font("Helvetica", "B" if i == 0 else "", body)
        heights = [
            len(pdf.multi_cell(w, line, fix(c), dry_run=True, output="LINES")) * line
            for w, c in zip(widths, cells, strict=True)
        ]
        h = max(heights) + 1.0
        if pdf.auto_page_break and pdf.will_page_break(h):
            pdf.add_page()
        y = pdf.get_y()
        x = MARGIN + 1.5
        for w, c in zip(widths, cells, strict=True):
            pdf.set_xy(x, y)
            pdf.multi_cell(w, line, fix(c), align="L")
            x += w
        pdf.set_y(y + h)
