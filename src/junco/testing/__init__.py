"""Test helpers shipped with junco (fault corpora for reliability tests)."""
