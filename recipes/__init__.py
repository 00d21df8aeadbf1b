"""Runnable scripts, one per published result (`python recipes/NAME.py`); importable for tests."""
