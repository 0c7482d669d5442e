"""Reading an outside XML file safely: no DTDs, no entities, no external references."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError  # nosec B405 - the type only; parsing is defusedxml's

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from croupier.risk.sanctions.formats import ListFileInvalid


def root_of(data: bytes, what: str) -> Element:
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ListFileInvalid(f"{what}: DTDs and entities are refused in list files") from None
    except ParseError as exc:
        raise ListFileInvalid(f"{what} is not well-formed XML ({exc})") from None


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def children(element: Element, name: str) -> list[Element]:
    return [child for child in element if local(child.tag) == name]


def child(element: Element, name: str) -> Element | None:
    found = children(element, name)
    return found[0] if found else None


def text_of(element: Element | None, name: str) -> str:
    found = child(element, name) if element is not None else None
    return " ".join((found.text or "").split()) if found is not None else ""
