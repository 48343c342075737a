"""One function per use case; each opens one transaction and commits it once."""
