"""The data layer: the catalog of columns and the feature policy, reading and validating files,
and the synthetic population (the only place, with the audit, that handles sensitive columns).

Reading is done here once for every layer above: :func:`~dmde.data.reading.read_batches` streams a
benefit file with the catalog's types under one policy for problems (raise, or reject rows with
their row numbers and reasons), :mod:`~dmde.data.outputs` and :mod:`~dmde.data.manifest` read
dmde's own scores, selections and manifests, and :mod:`~dmde.data.parameters` checks the
parameters of the data and batch layers against declared constraints.
"""
