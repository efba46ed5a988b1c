"""The website's build code (not part of the package's public API)."""
