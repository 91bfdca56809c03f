"""Prompt understanding: text -> WorldSpec (concepts, the sentence encoder, counts, negation, modifiers)."""
