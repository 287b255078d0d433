"""Reading a roster CSV into good rows and a list of bad rows, each with its line number and why.

Parsing writes nothing: the good rows are stored on a RosterImport and imported on confirmation.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

REQUIRED_COLUMNS = ("email", "name")
# The longest name a person may have (User.display_name) and the longest field read at all: a
# longer one is a broken file (an unclosed quote swallows the rest), reported, never a crash.
NAME_MAX_LENGTH = 150
FIELD_MAX_LENGTH = 1000


@dataclass
class ParsedRoster:
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return len(self.rows) + len({e["line"] for e in self.errors if e["line"] > 1})


def _decode(data: bytes) -> str:
    # utf-8-sig drops a byte-order mark if Excel wrote one, and reads plain UTF-8 as well.
    return data.decode("utf-8-sig")


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def roster_parse(data: bytes, *, group_names: set[str]) -> ParsedRoster:
    """Check every row of a roster file; `group_names` are the cohort's study groups."""
    parsed = ParsedRoster()
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        parsed.errors.append(
            {"line": 1, "reason": "The file is not UTF-8 text; save it as CSV UTF-8."}
        )
        return parsed
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        parsed.errors.append({"line": 1, "reason": "The file is empty."})
        return parsed
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first))
    header: list[str] | None = None
    for fields in _rows(reader, parsed):
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header = [f.strip().lower() for f in fields]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                parsed.errors.append(
                    {
                        "line": reader.line_num,
                        "reason": "Missing column: the header row needs "
                        + " and ".join(missing)
                        + " (found: "
                        + ", ".join(h for h in header if h)
                        + ").",
                    }
                )
                return parsed
            seen: dict[str, int] = {}
            continue
        _check_row(parsed, reader.line_num, header, fields, seen, group_names)
    if header is None:
        parsed.errors.append({"line": 1, "reason": "The file is empty."})
    return parsed


def _rows(reader, parsed: ParsedRoster):
    """The reader's rows, stopping with an error at the first field too long to be a roster's."""
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error:
            # The csv module refuses a field over its limit (131,072 characters) outright.
            fields = None
        if fields is None or any(len(f) > FIELD_MAX_LENGTH for f in fields):
            parsed.errors.append(
                {
                    "line": reader.line_num,
                    "reason": f"A field is longer than {FIELD_MAX_LENGTH:,} characters, which no "
                    "email, name or group is; check the quotes on this line. Nothing after it "
                    "was read.",
                }
            )
            return
        yield fields


def _check_row(parsed, line, header, fields, seen, group_names) -> None:
    def error(reason: str) -> None:
        parsed.errors.append({"line": line, "reason": reason})

    needed = max(header.index(c) for c in REQUIRED_COLUMNS) + 1
    if len(fields) < needed:
        return error(f"Missing column: {len(fields)} field(s), expected at least {needed}.")
    values = dict(zip(header, (f.strip() for f in fields), strict=False))
    email = values["email"].lower()
    try:
        validate_email(email)
    except ValidationError:
        return error(f"Bad email address “{values['email']}”.")
    if len(values["name"]) > NAME_MAX_LENGTH:
        return error(f"The name is longer than {NAME_MAX_LENGTH} characters; shorten it.")
    if email in seen:
        return error(f"Duplicate: {email} is already on line {seen[email]}.")
    seen[email] = line
    group = values.get("group", "")
    if group and group not in group_names:
        return error(f"Unknown study group “{group}”; create it first or leave the column empty.")
    coach_email = values.get("coach_email", "").lower()
    if coach_email:
        try:
            validate_email(coach_email)
        except ValidationError:
            return error(f"Bad coach email address “{values['coach_email']}”.")
        if coach_email == email:
            return error(f"{email} cannot be their own coach; leave coach_email empty.")
    row = {"line": line, "email": email, "name": values["name"], "group": group}
    if coach_email:
        row |= {"coach_email": coach_email, "coach_name": values.get("coach_name", "")}
    parsed.rows.append(row)
    return None
