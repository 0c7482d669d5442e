"""Payments: provider adapters, deposits, withdrawals, refunds, chargebacks and the webhook inbox."""
