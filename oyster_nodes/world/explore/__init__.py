"""Explore: walk or fly through a world while it simulates, change it live, rewind, and keep the session as a shot."""
