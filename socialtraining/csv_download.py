"""CSV downloads that open cleanly in Excel: streamed, UTF-8 with a byte-order mark, and no cell
that a spreadsheet would run as a formula."""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); tab and carriage return start one after the program strips them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Echo:
    """A file-like object csv.writer writes into, handing each line straight back."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value: object) -> object:
    """The value as a cell: text that would start a formula gets a leading apostrophe, which
    spreadsheets show as text; numbers stay numbers (a negative number is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    # The byte-order mark tells Excel the file is UTF-8, so accents and emoji open cleanly.
    yield "\ufeff"
    writer = csv.writer(Echo())
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_download(rows: Iterable[Iterable[object]], *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets: a name
# or objective someone typed could run as one in an analyst's spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Text that a spreadsheet shows as text: a leading apostrophe before a formula character."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
