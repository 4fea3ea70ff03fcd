"""Values and bins in words, in French and English, with their units."""

from __future__ import annotations

import numpy as np
import pytest

from dmde.documents.value_words import bin_text, value_text
from dmde.model.binning import FeatureBinning

_BINS = {
    "integer": (
        FeatureBinning(
            name="months_on_file", kind="numeric", edges=(38.5, 99.5), integer_valued=True,
            woe=(0.1, 0.0, -0.1, 0.0), count=(1.0, 1.0, 1.0, 0.0), events=(0.5, 0.5, 0.5, 0.0),
        ),
        ["de 0 à 38 mois", "de 39 à 99 mois", "100 mois ou plus", "non renseigné"],
        ["0 to 38 months", "39 to 99 months", "100 months or more", "not given"],
    ),
    "flag": (
        FeatureBinning(
            name="guardianship", kind="numeric", edges=(0.5,), integer_valued=True,
            woe=(0.1, 0.0, 0.0), count=(1.0, 1.0, 0.0), events=(0.5, 0.5, 0.0),
        ),
        ["non", "oui", "non renseigné"],
        ["no", "yes", "not given"],
    ),
    "money": (
        FeatureBinning(
            name="mean_total_12m", kind="numeric", edges=(22.655, 1498.88),
            woe=(0.1, 0.0, 0.2, 0.0), count=(1.0, 1.0, 1.0, 0.0), events=(0.5, 0.5, 0.5, 0.0),
        ),
        ["moins de 23 € par mois", "de 23 à moins de 1\u202f499 € par mois",
         "1\u202f499 € par mois ou plus", "non renseigné"],
        ["less than 23 EUR a month", "23 to less than 1,499 EUR a month",
         "1,499 EUR a month or more", "not given"],
    ),
    "smic": (  # the edges of the demo's model that a notice once printed as "2,6865 Smic"
        FeatureBinning(
            name="income_to_smic", kind="numeric", edges=(0.8465, 1.0505, 1.896, 2.6865),
            woe=(0.1,) * 6, count=(1.0,) * 5 + (0.0,), events=(0.5,) * 5 + (0.0,),
        ),
        ["moins de 0,85 Smic", "de 0,85 à moins de 1,05 Smic", "de 1,05 à moins de 1,90 Smic",
         "de 1,90 à moins de 2,69 Smic", "2,69 Smic ou plus", "non renseigné"],
        ["less than 0.85 Smic", "0.85 to less than 1.05 Smic", "1.05 to less than 1.90 Smic",
         "1.90 to less than 2.69 Smic", "2.69 Smic or more", "not given"],
    ),
    "no unit": (
        FeatureBinning(
            name="income_volatility", kind="numeric", edges=(0.0485, 0.2935),
            woe=(0.1, 0.0, 0.2, 0.0), count=(1.0, 1.0, 1.0, 0.0), events=(0.5, 0.5, 0.5, 0.0),
        ),
        ["moins de 0,05", "de 0,05 à moins de 0,29", "0,29 ou plus", "non renseigné"],
        ["less than 0.05", "0.05 to less than 0.29", "0.29 or more", "not given"],
    ),
    "close edges keep digits": (  # to the euro, 10.2 and 10.4 would both read 10; 250 need not
        FeatureBinning(
            name="mean_rsa_12m", kind="numeric", edges=(10.2, 10.4, 250.0),
            woe=(0.1,) * 5, count=(1.0,) * 4 + (0.0,), events=(0.5,) * 4 + (0.0,),
        ),
        ["moins de 10,20 € par mois", "de 10,20 à moins de 10,40 € par mois",
         "de 10,40 à moins de 250 € par mois", "250 € par mois ou plus", "non renseigné"],
        ["less than 10.20 EUR a month", "10.20 to less than 10.40 EUR a month",
         "10.40 to less than 250 EUR a month", "250 EUR a month or more", "not given"],
    ),
    "never below the minimum": (  # to the euro, 0.3 would read "less than 0 EUR"
        FeatureBinning(
            name="mean_cf_12m", kind="numeric", edges=(0.3,),
            woe=(0.1, 0.0, 0.0), count=(1.0, 1.0, 0.0), events=(0.5, 0.5, 0.0),
        ),
        ["moins de 0,30 € par mois", "0,30 € par mois ou plus", "non renseigné"],
        ["less than 0.30 EUR a month", "0.30 EUR a month or more", "not given"],
    ),
    "only the edge that needs it": (  # 0.0005 to the hundredth would read "less than 0"
        FeatureBinning(
            name="income_volatility", kind="numeric", edges=(0.0005, 0.0775),
            woe=(0.1, 0.0, 0.2, 0.0), count=(1.0, 1.0, 1.0, 0.0), events=(0.5, 0.5, 0.5, 0.0),
        ),
        ["moins de 0,001", "de 0,001 à moins de 0,08", "0,08 ou plus", "non renseigné"],
        ["less than 0.001", "0.001 to less than 0.08", "0.08 or more", "not given"],
    ),
    "levels": (
        FeatureBinning(
            name="activity_partner", kind="categorical",
            groups=(("no_partner",), ("inactive", "student")),
            woe=(0.1, 0.0, 0.0), count=(1.0, 1.0, 0.0), events=(0.5, 0.5, 0.0),
        ),
        ["pas de conjoint", "sans activité ou étudiant", "non renseigné"],
        ["no partner", "not working or student", "not given"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(_BINS), ids=list(_BINS))
def test_bins_in_words(case: str) -> None:
    binning, french, english = _BINS[case]
    assert [bin_text(binning, b, lang="fr") for b in range(binning.n_bins)] == french
    assert [bin_text(binning, b, lang="en") for b in range(binning.n_bins)] == english


@pytest.mark.parametrize("seed", range(200))
def test_rounded_bins_never_read_alike(seed: int) -> None:
    """Whatever edges a binning learns, close or far, small or large, every bin of a feature is
    worded differently from every other, in both languages."""
    rng = np.random.default_rng(seed)
    name = ["income_to_smic", "mean_total_12m", "income_volatility"][seed % 3]
    scale = 10.0 ** rng.integers(-3, 4)
    steps = rng.choice([1e-4, 1e-3, 0.01, 0.3, 1.0, 7.0], size=rng.integers(1, 9)) * scale
    edges = tuple(float(e) for e in np.unique(np.round(rng.uniform(0, 3) + np.cumsum(steps), 6)))
    n = len(edges) + 2
    binning = FeatureBinning(
        name=name, kind="numeric", edges=edges, woe=(0.0,) * n,
        count=(1.0,) * (n - 1) + (0.0,), events=(0.5,) * (n - 1) + (0.0,),
    )  # fmt: skip
    for lang in ("fr", "en"):
        words = [bin_text(binning, b, lang=lang) for b in range(n)]
        assert len(set(words)) == n, words


@pytest.mark.parametrize(
    ("b", "value", "text"),
    [(1, 12.7, "12,65 € par mois ou plus"),  # "13 € ou plus" would leave 12,70 € out
     (1, 13.2, "13 € par mois ou plus"),
     (0, 12.64, "moins de 13 € par mois"),
     (0, None, "moins de 13 € par mois")],
    ids=["kept-out-to-the-euro", "held-to-the-euro", "below", "no-value"],
)  # fmt: skip
def test_bin_holds_the_value_shown(b: int, value: float | None, text: str) -> None:
    binning = FeatureBinning(
        name="mean_rsa_12m", kind="numeric", edges=(12.645,),
        woe=(0.1, 0.0, 0.0), count=(1.0, 1.0, 0.0), events=(0.5, 0.5, 0.0),
    )  # fmt: skip
    assert bin_text(binning, b, lang="fr", value=value) == text


@pytest.mark.parametrize(
    ("column", "value", "lang", "text"),
    [("household_type", "lone_parent", "fr", "parent isolé"),
     ("mean_rsa_12m", 1612.5, "en", "1,612.50 EUR a month"),
     ("zero_income", 1, "fr", "oui"),
     ("n_children", None, "en", "not given")],
    ids=["level", "money", "flag", "missing"],
)  # fmt: skip
def test_values_in_words(column: str, value: object, lang: str, text: str) -> None:
    assert value_text(column, value, lang=lang) == text  # type: ignore[arg-type]
