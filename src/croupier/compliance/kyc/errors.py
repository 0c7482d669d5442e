"""The refusals of the KYC domain, each with its stable code."""

from __future__ import annotations

from croupier.kit.errors import Conflict, CroupierError, Forbidden


class KycRequired(Forbidden):
    """Carries ``action``, ``required_level`` and ``current_level`` so a client can say what to do."""

    code = "kyc_required"
    title = "Identity verification required"


class Underage(Forbidden):
    code = "underage"
    title = "Players must be of legal age"


class InvalidLevelChange(Conflict):
    code = "invalid_kyc_change"
    title = "The KYC level cannot be changed that way"


class KycNotConfigured(CroupierError):
    code = "kyc_not_configured"
    status = 503
    title = "Identity verification is not configured"


class CheckPending(Conflict):
    code = "kyc_check_pending"
    title = "A check is already waiting for the provider's result"


class AlreadyVerified(Conflict):
    code = "kyc_already_verified"
    title = "The player is already fully verified"


class RejectedFinal(Conflict):
    code = "kyc_rejected_final"
    title = "Verification was refused for good; contact support"


class DocumentsMissing(Conflict):
    code = "kyc_documents_missing"
    title = "Upload the documents a full check needs first"


class AddressRequired(CroupierError):
    code = "kyc_address_required"
    status = 422
    title = "Give your address with the first check"


class DocumentStoreUnavailable(CroupierError):
    """The document store (a bucket, a disk) failed; nothing was kept, the player may retry."""

    code = "kyc_document_store_unavailable"
    status = 503
    title = "Document storage is unavailable"
