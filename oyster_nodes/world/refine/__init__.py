"""Refine: rendered passes in, film-look pictures out, through diffusers pipelines read from a local models folder.

`models` finds and checks the user's weight folders (no torch needed); `film` loads a pipeline as an
executor component and runs img2img (optionally ControlNet on depth). Nothing here downloads anything.
"""
