"""Direct: a session's world as timelines you can play, pause, scrub, edit and branch.

A branch is the world's script plus the edits made to it (events the viewer applied, each at a frame) and
the viewer's ground position at each frame lived (agents walk around the viewer, so replaying needs where it
stood; a recording writes it as 'viewer' events for the frames where an agent came within reach). Keyframes (snapshots of the simulation and the world's light, every KEYFRAME_FRAMES frames) make a
seek cost at most that many frames of simulation: restore the keyframe at or before the moment and step
forward, replaying the edits at their frames. Stepping is deterministic, so a moment reached by seeking is
bit for bit the moment reached by playing. A keyframe at frame F holds the state before F's edits; an edit
inserted at F invalidates the keyframes after F. A new branch shares its parent's edits and keyframes up to
the moment it forks; after that each branch is its own replayable timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..simulate.run import SessionSnapshot
from ..state.world_state import WorldState

KEYFRAME_FRAMES = 24
MAX_BRANCHES = 8
MAX_EDITS = 2000


@dataclass(kw_only=True, frozen=True, slots=True)
class Edit:
    """An event applied at a frame: `raw` as it was asked for (replayed as is), `applied` as it fired."""

    frame: int
    raw: dict[str, Any]
    applied: dict[str, Any]


@dataclass(kw_only=True, frozen=True, slots=True)
class Keyframe:
    sim: SessionSnapshot
    world: WorldState


@dataclass(kw_only=True, slots=True)
class Branch:
    name: str
    parent: str | None = None
    fork_frame: int = 0
    edits: list[Edit] = field(default_factory=list)
    keyframes: dict[int, Keyframe] = field(default_factory=dict)
    #: the viewer's (x, y) on the ground when the world stepped from each frame (None: flying)
    track: dict[int, tuple[float, float] | None] = field(default_factory=dict)
    #: the frames at whose steps an agent came within reach of the viewer (the track a recording writes)
    near: set[int] = field(default_factory=set)

    def edits_at(self, frame: int) -> list[Edit]:
        return [e for e in self.edits if e.frame == frame]

    def insert(self, edit: Edit) -> None:
        """Add an edit after those at its frame; the keyframes after it no longer hold."""
        if len(self.edits) >= MAX_EDITS:
            raise ValueError(f"a branch holds at most {MAX_EDITS} edits; branch off to go on")
        at = next((k for k, e in enumerate(self.edits) if e.frame > edit.frame), len(self.edits))
        self.edits.insert(at, edit)
        self.forget_after(edit.frame)

    def forget_after(self, frame: int) -> None:
        for k in [k for k in self.keyframes if k > frame]:
            del self.keyframes[k]

    def forget_track_from(self, frame: int) -> None:
        for k in [k for k in self.track if k >= frame]:
            del self.track[k]
        self.near = {k for k in self.near if k < frame}

    def keyframe_at_or_before(self, frame: int) -> tuple[int, Keyframe]:
        k = max(f for f in self.keyframes if f <= frame)
        return k, self.keyframes[k]

    def fork(self, name: str, frame: int) -> Branch:
        """A new branch with this one's past up to `frame` (the edits at `frame` included)."""
        return Branch(name=name, parent=self.name, fork_frame=frame,
                      edits=[e for e in self.edits if e.frame <= frame],
                      keyframes={k: v for k, v in self.keyframes.items() if k <= frame},
                      track={k: v for k, v in self.track.items() if k < frame},
                      near={k for k in self.near if k < frame})

    def describe(self, fps: float, current: bool) -> dict[str, Any]:
        return {"name": self.name, "parent": self.parent, "fork_t": round(self.fork_frame / fps, 4),
                "edits": len(self.edits), "current": current}


__all__ = ["KEYFRAME_FRAMES", "MAX_BRANCHES", "Branch", "Edit", "Keyframe"]
