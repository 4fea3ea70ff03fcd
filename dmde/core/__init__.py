"""The base layer: errors, atomic file writing, statistics and document rendering.

Every other layer may import it; it imports nothing of dmde's.
"""
