"""Camera-trap labeler: the application (catalog, jobs, window, command line)."""

__version__ = "0.1.0"
