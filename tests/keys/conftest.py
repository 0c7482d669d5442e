"""Key management tests run the app on a keyring file, as the crypto tests do."""

from tests.crypto.conftest import keyring_path, settings

__all__ = ["keyring_path", "settings"]
