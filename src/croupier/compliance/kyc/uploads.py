"""What an uploaded document is, judged by its content: JPEG, PNG or PDF, nothing else.

The name and the declared content type are the client's word and are ignored. An
executable is refused by name of what it is (``document_executable``), even dressed up
as a PDF, and so is a PDF that carries scripts or launch actions.
"""

from __future__ import annotations

from croupier.compliance.kyc.models import DocumentType
from croupier.kit.errors import CroupierError

_MAGIC = (
    (b"\xff\xd8\xff", DocumentType.JPEG),
    (b"\x89PNG\r\n\x1a\n", DocumentType.PNG),
    (b"%PDF-", DocumentType.PDF),
)
# Windows PE, ELF, Mach-O (both byte orders, 32 and 64 bit, fat), scripts with an interpreter line.
_EXECUTABLE = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
# PDF actions that run something when the file is opened.
# Names long enough not to turn up by chance inside compressed image streams.
_ACTIVE_PDF = (b"/JavaScript", b"/Launch", b"/EmbeddedFile")


class DocumentTooLarge(CroupierError):
    code = "document_too_large"
    status = 413
    title = "The document is too large"


class UnsupportedDocument(CroupierError):
    code = "unsupported_document"
    status = 415
    title = "Documents must be JPEG, PNG or PDF files"


class ExecutableDocument(CroupierError):
    code = "document_executable"
    status = 415
    title = "The document is a program, not an image or a PDF"


class EmptyDocument(CroupierError):
    code = "document_empty"
    status = 422
    title = "The document is empty"


def recognise(data: bytes, *, max_bytes: int) -> DocumentType:
    """The document's type from its first bytes; refused if it is none of JPEG, PNG or PDF."""
    if not data:
        raise EmptyDocument()
    if len(data) > max_bytes:
        raise DocumentTooLarge(f"Documents may be at most {max_bytes} bytes.", max_bytes=max_bytes)
    if data.startswith(_EXECUTABLE):
        raise ExecutableDocument()
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            if kind == DocumentType.PDF and any(marker in data for marker in _ACTIVE_PDF):
                raise ExecutableDocument("The PDF carries scripts or launch actions.")
            return kind
    raise UnsupportedDocument()
