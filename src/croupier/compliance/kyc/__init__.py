"""KYC: identity verification levels, the gates money paths ask, the provider and staff review."""
