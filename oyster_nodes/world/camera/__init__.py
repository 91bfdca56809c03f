"""Camera paths: shot settings, keyframes, presets, clearance and the top-down map."""
