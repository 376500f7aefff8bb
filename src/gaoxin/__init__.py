"""gaoxin: monitoring and evaluation of high-tech industrial development zones."""

__version__ = "0.1.0"
