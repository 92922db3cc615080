"""Tasklist (web UI) tests."""
