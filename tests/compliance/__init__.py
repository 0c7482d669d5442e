"""Compliance: KYC, responsible gambling, privacy rights and regulator reports."""
