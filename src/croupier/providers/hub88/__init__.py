"""Hub88's operator Wallet API, served for studios and aggregators that speak it."""
