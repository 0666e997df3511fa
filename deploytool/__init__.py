"""deploytool: keeps Cloud Run environment configuration honest."""

__version__ = "0.1.0"
