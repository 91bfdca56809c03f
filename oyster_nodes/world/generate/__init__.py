"""World generation: WorldSpec + seed -> WorldState (terrain, water, scatter, structures)."""
