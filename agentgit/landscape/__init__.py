"""The landscape of an inquiry: similarity, novelty and questions (DESIGN §8)."""
