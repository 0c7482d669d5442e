"""The sandbox KYC provider: applicants, documents, checks and signed webhooks with the result.

It runs as its own HTTP service (``croupier sandbox kyc``), in the shape of Sumsub or
Onfido, so that Croupier's KYC domain talks to it as it would to a real provider. Its
state lives in memory and disappears with the process. The outcome of a check is set
by the documents: ``documents.sandbox_document(outcome)`` makes one for each outcome.
"""

from croupier.sandbox.kyc.app import KycSandboxConfig, create_kyc_app

__all__ = ["KycSandboxConfig", "create_kyc_app"]
