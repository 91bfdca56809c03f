"""Ambience tracks made from a world and its timeline."""
