"""CSV downloads that open cleanly in Excel: streamed, UTF-8 with a byte-order mark, and no cell
that a spreadsheet would run as a formula."""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"): a name, an answer or an objective someone typed could run as one in
# an analyst's spreadsheet. Tab and carriage return start one after the program strips them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Echo:
    """A file-like object csv.writer writes into, handing each line straight back."""

    def write(self, value: str) -> str:
        return value


def spreadsheet_safe(text: str) -> str:
    """Text that a spreadsheet shows as text: a leading apostrophe before a formula character."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: object) -> object:
    """The value as a cell: text made spreadsheet-safe; numbers stay numbers (a negative number
    is not a formula); None is empty."""
    if value is None:
        return ""
    return spreadsheet_safe(value) if isinstance(value, str) else value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Every CSV the platform writes goes through here, so every cell is spreadsheet-safe."""
    # The byte-order mark tells Excel the file is UTF-8, so accents and emoji open cleanly.
    yield "\ufeff"
    writer = csv.writer(Echo())
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_download(rows: Iterable[Iterable[object]], *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
