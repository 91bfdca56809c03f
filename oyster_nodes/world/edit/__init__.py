"""Edits of a WorldState: add, move and remove objects, time and weather, imported meshes."""
