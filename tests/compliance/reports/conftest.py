from tests.compliance.reports.support import casino, settings
from tests.providers.conftest import studio_key

__all__ = ["casino", "settings", "studio_key"]
