"""The data layer: the catalog of columns and the feature policy, reading and validating files,
and the synthetic population (the only place, with the audit, that handles sensitive columns).
"""
