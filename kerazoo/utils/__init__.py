"""Helpers with no knowledge of models or data, below every other kerazoo package."""
