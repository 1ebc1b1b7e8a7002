"""Errors uptake raises on bad input; each renders as one clear line at the edges."""

from __future__ import annotations


class UptakeError(Exception):
    """Base of every error caused by the user's input or environment (not a bug in uptake)."""


class DefinitionError(UptakeError):
    """The workspace file (uptake.toml) is missing, unreadable or invalid."""


class SpecError(UptakeError):
    """A metric spec is invalid: unknown kind, bad parameter or unknown feature / property."""


class ImportFileError(UptakeError):
    """A file could not be imported as a whole (unreadable, corrupt, unknown format)."""


class WorkspaceError(UptakeError):
    """The workspace cannot be opened or created (missing, locked by another process, ...)."""


class EngineError(UptakeError):
    """The engine URL is invalid or the engine is not installed."""
