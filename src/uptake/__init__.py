"""uptake: open-source adoption analytics."""

from __future__ import annotations

from uptake.errors import UptakeError
from uptake.result import Result
from uptake.settings import Settings
from uptake.workspace import Workspace

__version__ = "0.1.0"
__all__ = ["Result", "Settings", "UptakeError", "Workspace", "__version__"]
