"""Scoring Arrow batches with lookup tables: the model's points and reasons, a few numpy passes.

A fitted scorecard is a table of points per bin. :class:`LookupScorer` turns a model (the
checked tables of a model file, :class:`~dmde.model.published_model.PublishedModel`, which is
how ``dmde score`` reads it without building estimators; or a fitted
:class:`~dmde.model.scorecard.Scorecard` or :class:`~dmde.model.scorecard.ScorecardFamily`)
into, for each feature, one table of points and one table of *reason ranks* indexed by
``segment x bin``, and scores a batch of rows with a few whole-column passes per feature:

- a row's bin: for a number, the count of the feature's edges at or below its value (the
  union of every segment's edges, so that one pass serves every segment); for text, its
  dictionary index (the table is built per batch from the batch's dictionary);
- its points: a look-up, added to the row's total (which starts at its segment's intercept);
- its reason: every (segment, feature, bin) whose points are above the feature's reference is
  numbered once, from the most points above the reference to the least (ties: the feature that
  comes first in the segment's scorecard); a row's top ``k`` reasons are then its ``k``
  smallest numbers, kept as the features are read (``2k - 1`` element-wise minima and maxima
  of small integers per feature), and read back into a feature and its points at the end.

The result is exactly what the model's own scoring (``score_columns``) gives: the same bins
(``searchsorted(edges, x, side="right")`` counts the edges at or below ``x``), the same excess
over the reference (one subtraction, done once per bin), the same choice of reasons (the same
order, the same ties) and the same probability (computed from each segment's rounded points, as
the model does). The points are summed in another order than the model's; both sums are
within far less than half a unit of the scaling's last decimal of the same multiple of it
(every bin's points are rounded to those decimals, and at most 6 decimals with points below a
million are allowed), so the rounded scores are the same. ``tests/test_lookup.py`` compares
both on many models and seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dmde.data.arrow_numpy import floats, integers, scalar
from dmde.data.catalog import CATALOG
from dmde.model.published_model import PublishedModel, PublishedScorecard
from dmde.model.scaling import PointsScaling
from dmde.model.scored import ScoredColumns, check_reasons

if TYPE_CHECKING:
    from dmde.model.bins import FeatureBinning
    from dmde.model.scorecard import Scorecard, ScorecardFamily

__all__ = ["LookupScorer"]

Model: TypeAlias = "PublishedModel | Scorecard | ScorecardFamily"
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

_TEXT_TYPES = ("category", "string")


@dataclass(frozen=True, eq=False)
class _Segment:
    """One segment's scorecard, as the tables need it (the published points, as written in the
    model file or as a fitted scorecard holds them)."""

    features: tuple[str, ...]
    binnings: Sequence[FeatureBinning]
    points: Sequence[Any]  # per feature, the points of each bin
    reference_points: Any
    intercept_points: float
    scaling: PointsScaling
    position: dict[str, int]  # feature name -> index in the scorecard's features

    @classmethod
    def of(cls, scorecard: Any) -> _Segment:
        """A published scorecard's tables, or a fitted scorecard's."""
        if isinstance(scorecard, PublishedScorecard):
            features, binnings = scorecard.features, scorecard.binnings
            points, reference = scorecard.points, scorecard.reference_points
            intercept, scaling = scorecard.intercept_points, scorecard.scaling
        else:
            features, binnings = tuple(scorecard.features_), scorecard.binning_.bins_
            points, reference = scorecard.bin_points_, scorecard.reference_points_
            intercept, scaling = scorecard.intercept_points_, scorecard.scaling_
        position = {name: j for j, name in enumerate(features)}
        return cls(features, binnings, points, reference, intercept, scaling, position)


@dataclass(frozen=True, eq=False)
class _Feature:
    """One feature of the model: how its values become bins in each segment."""

    name: str
    numeric: bool
    edges: FloatArray  # numbers: the union of every segment's edges
    # Per segment: the scorecard's binning of the feature, or None if it does not read it.
    binnings: tuple[FeatureBinning | None, ...]
    # Numbers: per segment, the bin of each union code (0..len(edges), then missing).
    bins: tuple[IntArray | None, ...]


class LookupScorer:
    """A fitted model's scoring as lookup tables, for Arrow batches of catalog columns.

    Parameters
    ----------
    model : PublishedModel, Scorecard or ScorecardFamily
        A checked model file's tables, or a fitted model whose features are catalog columns
        (:attr:`supported` says whether its scorecards are ones the tables can reproduce).

    Examples
    --------
    >>> import pyarrow as pa
    >>> from dmde.data.synthetic import synthesize
    >>> from dmde.model.scorecard import Scorecard
    >>> df = synthesize(3_000, seed=1, controls=0, with_truth=True)
    >>> model = Scorecard(features=["income_to_smic", "household_type"])
    >>> model = model.fit(df, df["truth_target"])
    >>> batch = pa.table({"income_to_smic": df["income_to_smic"],
    ...                   "household_type": df["household_type"].astype(str)})
    >>> scored = LookupScorer(model).score(batch, reasons=1)
    >>> bool((scored.points == model.points(df)).all())
    True
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self.segment_column: str | None
        self.segment_names: tuple[str, ...]
        scorecards: list[Any]
        if isinstance(model, PublishedModel):
            tables: PublishedModel = model
            self.segment_column = tables.routing_column
            scorecards = list(tables.segments.values())
            self.segment_names = tuple(tables.segments) if self.segment_column else ("",)
            self.features: tuple[str, ...] = tables.features
        else:
            from dmde.model.family import ScorecardFamily  # a fitted model: already imported

            if isinstance(model, ScorecardFamily):
                self.segment_column = model.segment_column
                self.segment_names = tuple(model.segments_)
                scorecards = [model.models_[name] for name in self.segment_names]
            else:
                self.segment_column = None
                self.segment_names = ("",)
                scorecards = [model]
            self.features = tuple(model.features_)
        self._segments = tuple(_Segment.of(m) for m in scorecards)
        by_period = isinstance(model, PublishedModel) and model.by_period
        self.supported = (
            not by_period
            and all(name in CATALOG for name in self.features)
            and all(
                _bin_kind(self._binning(s, name)) in (None, _expected_kind(name))
                for s in self._segments
                for name in self.features
            )
        )
        if not self.supported:
            return
        self._features = tuple(self._feature(name) for name in self.features)
        self._ranks()
        self._numeric_tables = {
            i: self._tables(i, f.bins) for i, f in enumerate(self._features) if f.numeric
        }

    # ---------------------------------------------------------------------------- building
    @staticmethod
    def _binning(segment: _Segment, name: str) -> FeatureBinning | None:
        j = segment.position.get(name)
        return None if j is None else segment.binnings[j]

    def _feature(self, name: str) -> _Feature:
        binnings = tuple(self._binning(s, name) for s in self._segments)
        numeric = _expected_kind(name) == "numeric"
        if not numeric:
            return _Feature(name, False, np.empty(0), binnings, tuple(None for _ in binnings))
        own_edges = [np.asarray(b.edges, dtype=np.float64) for b in binnings if b is not None]
        edges = np.unique(np.concatenate(own_edges)) if own_edges else np.empty(0)
        bins: list[IntArray | None] = []
        for binning in binnings:
            if binning is None:
                bins.append(None)
                continue
            own = np.asarray(binning.edges, dtype=np.float64)
            # A value in [edges[u-1], edges[u]) has as many own edges at or below it as
            # edges[u-1] has: no own edge lies strictly between two union edges.
            below = np.searchsorted(own, edges, side="right")
            bins.append(np.concatenate([[0], below, [binning.missing_bin]]).astype(np.intp))
        return _Feature(name, True, edges, binnings, tuple(bins))

    def _ranks(self) -> None:
        """Number every (segment, feature, bin) whose points are above the feature's reference:
        within a segment, most points above first, ties to the scorecard's first feature."""
        self._points: list[list[FloatArray | None]] = []  # [segment][feature] points by bin
        self._rank_of: list[list[npt.NDArray[np.int64] | None]] = []  # same, rank or -1
        feature_of: list[int] = []
        excess_of: list[float] = []
        family_index = {name: i for i, name in enumerate(self.features)}
        for segment in self._segments:
            points = [np.asarray(p, dtype=np.float64) for p in segment.points]
            reference = np.asarray(segment.reference_points, dtype=np.float64)
            excess = [p - reference[j] for j, p in enumerate(points)]
            above = [
                (-float(e[b]), j, b)
                for j, e in enumerate(excess)
                for b in range(e.size)
                if e[b] > 0
            ]
            above.sort()
            ranks = [np.full(e.size, -1, dtype=np.int64) for e in excess]
            for _, j, b in above:
                ranks[j][b] = len(feature_of)
                feature_of.append(family_index[segment.features[j]])
                excess_of.append(float(excess[j][b]))
            self._points.append(
                [
                    points[segment.position[n]] if n in segment.position else None
                    for n in self.features
                ]
            )
            self._rank_of.append(
                [
                    ranks[segment.position[n]] if n in segment.position else None
                    for n in self.features
                ]
            )
        self._none = len(feature_of)  # the rank of "no reason": larger than every other
        dtype = np.uint8 if self._none < 2**8 else np.uint16 if self._none < 2**16 else np.uint32
        self._rank_dtype: type[np.unsignedinteger[Any]] = dtype
        self._reason_feature = np.array([*feature_of, -1], dtype=np.int32)
        self._reason_excess = np.array([*excess_of, np.nan], dtype=np.float64)
        self._intercepts = np.array([s.intercept_points for s in self._segments])

    def _tables(
        self, i: int, bins_per_segment: Sequence[IntArray | None]
    ) -> tuple[FloatArray, Any]:
        """Points and ranks of feature ``i`` by ``segment * width + code``, from the bin of
        each code in each segment (None: the segment's scorecard does not read the feature)."""
        width = next(len(b) for b in bins_per_segment if b is not None)
        points = np.zeros(len(self._segments) * width, dtype=np.float64)
        ranks = np.full(len(self._segments) * width, self._none, dtype=self._rank_dtype)
        for s, bins in enumerate(bins_per_segment):
            own_points, own_ranks = self._points[s][i], self._rank_of[s][i]
            if bins is None or own_points is None or own_ranks is None:
                continue
            points[s * width : (s + 1) * width] = own_points[bins]
            rank = own_ranks[bins]
            ranks[s * width : (s + 1) * width] = np.where(rank >= 0, rank, self._none)
        return points, ranks

    # ---------------------------------------------------------------------------- scoring
    def segments_of(self, table: pa.Table) -> IntArray | None:
        """The segment of each row (index into :attr:`segment_names`), -1 where it has no
        scorecard; None for a single scorecard."""
        if self.segment_column is None:
            return None
        values = _dictionary_array(table.column(self.segment_column))
        known = {name: s for s, name in enumerate(self.segment_names)}
        lookup = np.array(
            [-1 if v is None else known.get(str(v), -1) for v in values.dictionary.to_pylist()]
            + [-1],
            dtype=np.intp,
        )
        return lookup[_indices(values)]

    def score(self, table: pa.Table, *, reasons: int = 0) -> ScoredColumns:
        """Points, probability and top reasons of each row of ``table``.

        ``table`` holds the model's features (and its routing column) in the types of
        :func:`~dmde.data.opening.reading_type` (or as plain text or numbers). The result is
        the model's ``score_columns``'s, except that ``segment`` is None.

        Raises
        ------
        ValueError
            If the model is not :attr:`supported`, or a row's segment has no scorecard.
        """
        reasons = check_reasons(reasons)
        if not self.supported:
            raise ValueError("this model cannot be scored with lookup tables.")
        n = table.num_rows
        segment = self.segments_of(table)
        if segment is not None and n and int(segment.min()) < 0:
            raise ValueError(f"a row's {self.segment_column} has no scorecard.")
        k = min(reasons, len(self.features))
        total = np.full(n, self._intercepts[0]) if segment is None else self._intercepts[segment]
        best = [np.full(n, self._none, dtype=self._rank_dtype) for _ in range(k)]
        spare = np.empty(n, dtype=self._rank_dtype)
        offsets: dict[int, IntArray] = {}  # each row's segment * a table's width
        for i, feature in enumerate(self._features):
            codes, bins = self._codes(feature, table.column(feature.name))
            points, ranks = self._numeric_tables[i] if bins is None else self._tables(i, bins)
            if segment is not None and len(self._segments) > 1:
                width = points.size // len(self._segments)
                if width not in offsets:
                    offsets[width] = segment * width
                codes += offsets[width]
            total += np.take(points, codes)
            if k:
                _keep_smallest(best, np.take(ranks, codes), spare, levels=min(k, i + 1))
        points_out = np.empty(n, dtype=np.float64)
        probability = np.empty(n, dtype=np.float64)
        for s, part in enumerate(self._segments):
            scaling = part.scaling
            if segment is None:
                points_out = np.round(total, scaling.decimals) + 0.0
                probability = scaling.probability(points_out)
                break
            rows = np.flatnonzero(segment == s)
            if rows.size:
                mine = np.round(total[rows], scaling.decimals) + 0.0  # as the segment's model
                points_out[rows] = mine
                probability[rows] = scaling.probability(mine)
        features = np.empty((n, k), dtype=np.int32)
        excess = np.empty((n, k), dtype=np.float64)
        for r, ranks_r in enumerate(best):
            features[:, r] = self._reason_feature[ranks_r]
            excess[:, r] = self._reason_excess[ranks_r]
        return ScoredColumns(points_out, probability, None, features, excess)

    def _codes(
        self, feature: _Feature, values: pa.ChunkedArray[Any]
    ) -> tuple[IntArray, Sequence[IntArray | None] | None]:
        """The code of each row's value, and for text, per segment, the bin of each code (the
        dictionary's entries, then missing); numbers' bins are the feature's own."""
        if feature.numeric:
            x = floats(values)
            counts: npt.NDArray[Any] = np.zeros(
                x.size, dtype=np.uint8 if feature.edges.size < 255 else np.intp
            )
            for edge in feature.edges:
                counts += x >= edge  # searchsorted(edges, x, side="right"), in fewer passes
            missing = feature.edges.size + 1
            codes = counts.astype(np.intp)
            missing_values = np.isnan(x)
            if missing_values.any():
                np.putmask(codes, missing_values, missing)
            return codes, None
        encoded = _dictionary_array(values)
        levels = encoded.dictionary.to_pylist()
        per_segment: list[IntArray | None] = []
        for binning in feature.binnings:
            if binning is None:
                per_segment.append(None)
                continue
            bin_of = {level: b for b, group in enumerate(binning.groups) for level in group}
            found = [
                binning.missing_bin
                if level is None
                else bin_of.get(str(level), binning.default_bin)
                for level in levels
            ]
            per_segment.append(np.array([*found, binning.missing_bin], dtype=np.intp))
        return _indices(encoded), per_segment


def _keep_smallest(best: list[Any], ranks: Any, spare: Any, *, levels: int) -> None:
    """Insert each row's ``ranks`` into its sorted ``best`` (smallest first), in place."""
    for r in range(levels - 1, 0, -1):
        np.maximum(best[r - 1], ranks, out=spare)
        np.minimum(best[r], spare, out=best[r])
    np.minimum(best[0], ranks, out=best[0])


def _expected_kind(name: str) -> str:
    return "categorical" if CATALOG[name].dtype in _TEXT_TYPES else "numeric"


def _bin_kind(binning: FeatureBinning | None) -> str | None:
    return None if binning is None else str(binning.kind)


def _dictionary_array(values: Any) -> pa.DictionaryArray[Any, Any]:
    """A text column as one dictionary array of strings."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not pa.types.is_dictionary(values.type):
        values = pc.dictionary_encode(values.cast(pa.string()))
    elif not pa.types.is_string(values.type.value_type):
        values = values.cast(pa.dictionary(pa.int32(), pa.string()))
    return values  # type: ignore[no-any-return]


def _indices(values: pa.DictionaryArray[Any, Any]) -> IntArray:
    """The dictionary index of each value; the dictionary's length where it is missing."""
    indices = values.indices
    if indices.null_count:
        missing: Any = scalar(len(values.dictionary), indices.type)
        indices = pc.fill_null(indices, missing)
    return integers(indices).astype(np.intp)
