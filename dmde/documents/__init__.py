"""The documents layer: the notice for the person concerned, the model's public description and
the comparison of two models.
"""
