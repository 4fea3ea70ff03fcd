"""Values and bins in words, in French and English, with their units."""

from __future__ import annotations

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
        ["moins de 22,655 € par mois", "de 22,655 à moins de 1\u202f498,88 € par mois",
         "1\u202f498,88 € par mois ou plus", "non renseigné"],
        ["less than 22.655 EUR a month", "22.655 to less than 1,498.88 EUR a month",
         "1,498.88 EUR a month or more", "not given"],
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
