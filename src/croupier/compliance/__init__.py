"""Compliance: KYC (``kyc/``), responsible gambling (``responsible/``), privacy rights
(``gdpr/``) and regulator reports (``reports/``), each enforced in the money paths."""
