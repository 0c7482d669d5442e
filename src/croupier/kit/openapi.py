"""Small helpers that make the OpenAPI document state rules the server enforces in code."""

from __future__ import annotations

from typing import Any


def exactly_one_of(*fields: str) -> dict[str, Any]:
    """A model's ``json_schema_extra`` for "send exactly one of ``fields``" (absent and null alike
    count as not sent), which a model validator enforces; the schema only says so."""
    return {
        "description": f"Send exactly one of: {', '.join(f'`{name}`' for name in fields)}.",
        "oneOf": [{"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in fields],
    }
