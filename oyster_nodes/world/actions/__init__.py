"""Action scripts in text, JSON or English, parsed into timed events."""
