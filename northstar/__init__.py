"""Northstar: find a product's North Star Metric from its event data."""

__version__ = "0.1.0"
