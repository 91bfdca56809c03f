"""Simulation: WorldState + events -> Timeline (MuJoCo bodies, agents, wind, clock, weather)."""
