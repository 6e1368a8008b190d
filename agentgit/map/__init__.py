"""The map: gathering the landscape from main's history and drawing it as one
self-contained page (DESIGN §8)."""
