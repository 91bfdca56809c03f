"""The world-model core: prompt understanding (spec, understand), generation, edits, import and storage.

Import the submodules you need; this package imports nothing heavy by itself.
"""
