"""What a running server keeps outside the web layer: its home folder (projects and keys) and
the marker files that tell the CLI a project is being served."""
