"""Metadata of the test plugin's backends (cheap: imports only numbascat.backend_api)."""
from numbascat.backend_api import BackendInfo

#: A working numpy backend that serves 2D only (to test per-dimension fall-through).
TESTPLUG_INFO = BackendInfo(name="testplug", dims=(2,), array_kinds=("numpy",), priority=-10,
                            requires=("numpy",), description="test plugin (2D only)")

#: A backend whose module raises on import.
BROKEN_INFO = BackendInfo(name="broken", dims=(1, 2, 3), array_kinds=("numpy",), priority=-20,
                          description="test plugin that fails to import")
