"""A report as CSV (a header row, then one line per row) or JSON (an array of objects).

Both carry the same columns in the same order; an absent value is an empty CSV field
and a JSON ``null``. Amounts are integers in minor units beside their currency.
"""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum

from croupier.compliance.reports.service import Report


class ReportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


MEDIA_TYPES = {ReportFormat.CSV: "text/csv; charset=utf-8", ReportFormat.JSON: "application/json"}


def render(report: Report, output: ReportFormat) -> str:
    if output == ReportFormat.JSON:
        objects = [{column: row[column] for column in report.columns} for row in report.rows]
        return json.dumps(objects, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=report.columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(report.rows)
    return buffer.getvalue()
