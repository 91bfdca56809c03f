"""The world state and what every stage shares: WorldState, Timeline, world files, sun and sky."""
