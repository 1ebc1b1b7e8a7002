"""The `uptake` command line (Typer): parses input, calls the service, renders the result."""
