"""The model layer: WoE binning, points scaling, the scorecard and its family by period,
the JSON model file and training on the random-control sample.

It never imports the synthetic world: a model reads only what an agency's scoring file holds.
"""
