"""Zhibu (支部): a self-hosted platform for standardized party-branch work."""

__version__ = "0.1.0"
