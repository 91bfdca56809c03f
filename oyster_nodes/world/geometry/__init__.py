"""Shared geometry: the physical camera and the obstacle boxes cameras, bodies and agents keep clear of."""
