"""`python -m uptake` runs the CLI."""

from __future__ import annotations

from uptake.cli.app import main

main()
