"""The column catalog: every column dmde knows, declared once, and the feature policy.

Each :class:`Column` carries its name, type, allowed range or levels, whether it may be missing,
an English description, a short French label, the source it would come from in a real agency and
its :class:`Family`. The family decides what the column may be used for:

============== ============================== ==================
family          model feature                  audit
============== ============================== ==================
identifier      never                          yes
operational     never                          yes
household       yes                            yes
resources       yes                            yes
benefits        yes                            yes
sensitive       excluded (2026 guarantee)      protected groups
address         excluded (2026 guarantee)      yes
behaviour       excluded (2026 guarantee)      yes
control_history excluded (2026 guarantee)      yes
label           never (target only)            yes
============== ============================== ==================

A :class:`FeaturePolicy` says which families may feed a model. It can be stricter than the default
(fewer families, or named columns removed) but it can never admit an excluded family: asking for
one raises :class:`~dmde.core.errors.PolicyError` naming the column, its family and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dmde.core.errors import PolicyError
from dmde.data.columns import Column, Family

__all__ = [
    "CAF_CODES",
    "CATALOG",
    "DEFAULT_POLICY",
    "LOCATING_COLUMNS",
    "TARGET_ACTIONS",
    "Column",
    "Family",
    "FeaturePolicy",
    "action_of_target",
    "check_routing_column",
    "column",
    "columns_of",
]

#: Families whose columns a model may read (under the default policy, all three).
FEATURE_FAMILIES: frozenset[Family] = frozenset(
    {Family.HOUSEHOLD, Family.RESOURCES, Family.BENEFITS}
)

#: Families that no policy can admit as features, with the reason written out.
EXCLUDED_FAMILIES: Mapping[Family, str] = {
    Family.SENSITIVE: (
        "sensitive data (gender, nationality, age) are excluded: the 2026 model's published "
        "guarantee is that it uses no sensitive data"
    ),
    Family.ADDRESS: (
        "address and place of residence are excluded: the 2026 model's published guarantee is "
        "that it uses no address or place-of-residence data"
    ),
    Family.BEHAVIOUR: (
        "behavioural data (logins, contacts, visits, documents sent) are excluded: the 2026 "
        "model's published guarantee is that it uses no data on how people deal with the agency"
    ),
    Family.CONTROL_HISTORY: (
        "the history of controls and litigation is excluded: the 2026 model's published "
        "guarantee is that past checks do not feed the score, which would otherwise "
        "re-select the files already checked"
    ),
}

#: Families that are never features under any policy, for structural reasons.
NON_FEATURE_FAMILIES: Mapping[Family, str] = {
    Family.IDENTIFIER: "identifiers name a file; they carry no information about its situation",
    Family.OPERATIONAL: (
        "operational columns (local office, month, reporting mode, survey stratum) say how a file "
        "is handled and selected (the reporting mode routes a family of scorecards, the month "
        "weighs a model by period); they are not part of the household's situation"
    ),
    Family.LABEL: (
        "label columns are outcomes of checks (or the synthetic truth); they can be a target, "
        "never a feature"
    ),
}


# --------------------------------------------------------------------------------------------
#: The 101 local Caf offices, one per département (metropolitan France, Corsica and overseas).
CAF_CODES: tuple[str, ...] = (
    *(f"{i:02d}" for i in range(1, 20)),
    "2A",
    "2B",
    *(f"{i:02d}" for i in range(21, 96)),
    "971",
    "972",
    "973",
    "974",
    "976",
)

ACTIVITY_LEVELS = ("employed", "self_employed", "unemployed", "inactive", "student", "retired")
_AMOUNT_SOURCE = "benefit payment system (12-month mean of monthly payments)"


def _flag(
    name: str, family: Family, label: str, label_fr: str, description: str, source: str, **kw: Any
) -> Column:
    return Column(
        name, "flag", family, description, label_fr, source, label, minimum=0, maximum=1, **kw
    )


def _amount(name: str, label: str, label_fr: str, description: str, maximum: float) -> Column:
    return Column(
        name,
        "float",
        Family.BENEFITS,
        description,
        label_fr,
        _AMOUNT_SOURCE,
        label,
        unit="EUR/month",
        minimum=0,
        maximum=maximum,
    )


def _count(
    name: str,
    family: Family,
    label: str,
    label_fr: str,
    description: str,
    source: str,
    maximum: float,
    **kw: Any,
) -> Column:
    return Column(
        name, "int", family, description, label_fr, source, label, minimum=0, maximum=maximum, **kw
    )


_F = Family
_CONTACT_LOG = "contact-management system (12-month count)"
_CONTROL_LOG = "control-management system"
_CHECK = "outcome of the check (random-control survey)"

# fmt: off
_COLUMNS: tuple[Column, ...] = (
    # identifier -------------------------------------------------------------------------------
    Column("dossier_id", "int", _F.IDENTIFIER,
           "Number of the household's benefit file (one file per household).",
           "numéro de dossier", "file-management system", "file number", minimum=1,
           maximum=999_999_999_999),
    # operational ------------------------------------------------------------------------------
    Column("caf_code", "category", _F.OPERATIONAL,
           "Local Caf office handling the file (département code).", "Caf de rattachement",
           "file-management system", "local Caf office", levels=CAF_CODES),
    Column("snapshot_month", "string", _F.OPERATIONAL,
           "Month of the data snapshot the file was scored on (YYYY-MM).",
           "mois de l'instantané", "data warehouse extraction", "snapshot month",
           pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
    Column("income_reporting", "category", _F.OPERATIONAL,
           "How quarterly incomes were reported in the period: declared by the household, or "
           "pre-filled from payroll and pension data (generalised in March 2025).",
           "mode de déclaration des ressources", "file-management system",
           "income reporting mode", levels=("declarative", "prefilled")),
    Column("control_stratum", "category", _F.OPERATIONAL,
           "Stratum of the annual random-control survey the file belongs to (its main benefit).",
           "strate de l'enquête de contrôle", "random-control survey design", "survey stratum",
           levels=("rsa", "aah", "prime_activite", "housing", "family", "other"),
           required=False),
    # household --------------------------------------------------------------------------------
    Column("household_type", "category", _F.HOUSEHOLD,
           "Composition of the household.", "situation familiale",
           "declared family situation", "household type",
           levels=("single", "lone_parent", "couple_no_children", "couple_with_children")),
    _count("n_children", _F.HOUSEHOLD, "number of children", "nombre d'enfants à charge",
           "Number of dependent children in the household.", "declared family situation",
           maximum=15),
    _flag("child_over_19", _F.HOUSEHOLD, "child aged 19 or more", "enfant de plus de 19 ans",
          "A child aged 19 or more lives in the household.", "declared family situation"),
    Column("children_activity", "category", _F.HOUSEHOLD,
           "Activity of the children: none in the household, all in school, or at least one "
           "working or in an apprenticeship.", "activité des enfants",
           "declared family situation", "children's activity",
           levels=("no_children", "all_in_school", "some_working")),
    _flag("guardianship", _F.HOUSEHOLD, "file managed by a guardian", "dossier sous tutelle",
          "The file is managed by a legal guardian (tutelle or curatelle).",
          "file-management system"),
    _flag("separation_12m", _F.HOUSEHOLD, "separation in the last 12 months",
          "séparation dans les 12 derniers mois",
          "The household declared a separation in the last 12 months.",
          "declared family situation"),
    # resources --------------------------------------------------------------------------------
    Column("income_to_smic", "float", _F.RESOURCES,
           "Household monthly income over the last 12 months, in units of the net monthly "
           "minimum wage (Smic).", "revenus rapportés au Smic",
           "declared or pre-filled resources", "income relative to the minimum wage",
           unit="Smic", minimum=0, maximum=20),
    _flag("zero_income", _F.RESOURCES, "no income", "aucun revenu",
          "The household declared no income at all over the last 12 months.",
          "declared or pre-filled resources"),
    Column("income_volatility", "float", _F.RESOURCES,
           "Coefficient of variation of quarterly income over the last 12 months; missing when "
           "the file is less than 6 months old.", "variabilité des revenus trimestriels",
           "declared or pre-filled resources", "income volatility", minimum=0, maximum=5,
           nullable=True),
    Column("activity_holder", "category", _F.RESOURCES,
           "Activity status of the file holder.", "activité de l'allocataire",
           "declared professional situation", "holder's activity", levels=ACTIVITY_LEVELS),
    Column("activity_partner", "category", _F.RESOURCES,
           "Activity status of the partner, or no_partner.", "activité du conjoint",
           "declared professional situation", "partner's activity",
           levels=("no_partner", *ACTIVITY_LEVELS)),
    _flag("alimony_24m", _F.RESOURCES, "alimony declared", "pension alimentaire déclarée",
          "Alimony (received or paid) was declared in the last 24 months.",
          "declared resources"),
    # benefits ---------------------------------------------------------------------------------
    _amount("mean_total_12m", "all benefits", "total des prestations",
            "Mean monthly amount of all benefits paid over the last 12 months.", 10_000),
    _amount("mean_af_12m", "family allowances", "allocations familiales",
            "Mean monthly family allowances (AF) over the last 12 months.", 3_000),
    _amount("mean_cf_12m", "family supplement", "complément familial",
            "Mean monthly family supplement (complément familial) over the last 12 months.", 1_000),
    _amount("mean_prime_activite_12m", "activity bonus", "prime d'activité",
            "Mean monthly activity bonus (prime d'activité) over the last 12 months.", 2_000),
    _amount("mean_rsa_12m", "RSA", "revenu de solidarité active",
            "Mean monthly minimum income (RSA) over the last 12 months.", 3_000),
    _amount("mean_housing_aid_12m", "housing aid", "aide au logement",
            "Mean monthly housing aid (APL, ALF, ALS) over the last 12 months.", 2_000),
    _amount("mean_aah_12m", "disability allowance", "allocation aux adultes handicapés",
            "Mean monthly disabled adult allowance (AAH) over the last 12 months.", 2_000),
    _count("months_on_file", _F.BENEFITS, "months on file", "ancienneté du dossier (mois)",
           "Months since the file was opened.", "file-management system", maximum=1_000,
           unit="months"),
    # sensitive --------------------------------------------------------------------------------
    Column("gender", "category", _F.SENSITIVE, "Gender of the file holder.",
           "sexe de l'allocataire", "civil status", "gender", levels=("female", "male"),
           required=False),
    Column("nationality_group", "category", _F.SENSITIVE,
           "Nationality of the file holder: French, other EU, non-EU.",
           "nationalité de l'allocataire", "civil status", "nationality",
           levels=("french", "eu", "non_eu"), required=False),
    Column("age", "int", _F.SENSITIVE, "Age of the file holder in years.",
           "âge de l'allocataire", "civil status", "age", unit="years", minimum=16,
           maximum=110, required=False),
    # address ----------------------------------------------------------------------------------
    Column("commune_code", "string", _F.ADDRESS, "INSEE code of the commune of residence.",
           "code commune", "postal address", "commune",
           pattern=r"^([0-9]{5}|2[AB][0-9]{3})$", required=False),
    Column("postal_code", "string", _F.ADDRESS, "Postal code of the residence.",
           "code postal", "postal address", "postal code", pattern=r"^[0-9]{5}$",
           required=False),
    _flag("priority_neighbourhood", _F.ADDRESS, "priority neighbourhood",
          "quartier prioritaire de la ville",
          "The residence is in a priority neighbourhood of urban policy (QPV).",
          "postal address matched to the QPV map", required=False),
    Column("urban_rural", "category", _F.ADDRESS, "Density class of the commune of residence.",
           "densité de la commune", "postal address matched to the density grid",
           "urban or rural", levels=("urban", "intermediate", "rural"), required=False),
    # behaviour --------------------------------------------------------------------------------
    _count("web_logins_12m", _F.BEHAVIOUR, "web logins", "connexions à l'espace en ligne",
           "Logins to the online account over the last 12 months.", _CONTACT_LOG,
           maximum=10_000, required=False),
    _count("phone_contacts_12m", _F.BEHAVIOUR, "phone contacts", "contacts téléphoniques",
           "Phone contacts with the agency over the last 12 months.", _CONTACT_LOG,
           maximum=1_000, required=False),
    _count("office_visits_12m", _F.BEHAVIOUR, "office visits", "visites à l'accueil",
           "Visits to a front office over the last 12 months.", _CONTACT_LOG,
           maximum=1_000, required=False),
    _count("online_documents_12m", _F.BEHAVIOUR, "documents sent online",
           "pièces envoyées en ligne",
           "Documents sent through the online account over the last 12 months.", _CONTACT_LOG,
           maximum=1_000, required=False),
    # control history --------------------------------------------------------------------------
    _count("n_controls_24m", _F.CONTROL_HISTORY, "checks in the last 24 months",
           "contrôles sur 24 mois", "Number of checks of the file in the last 24 months.",
           _CONTROL_LOG, maximum=50, required=False),
    _count("months_since_last_control", _F.CONTROL_HISTORY, "months since the last check",
           "mois depuis le dernier contrôle",
           "Months since the file was last checked; missing if it never was.", _CONTROL_LOG,
           maximum=1_000, unit="months", nullable=True, required=False),
    Column("past_indu_24m", "float", _F.CONTROL_HISTORY,
           "Overpayments notified in the last 24 months.", "indus notifiés sur 24 mois",
           _CONTROL_LOG, "past overpayments", unit="EUR", minimum=0, maximum=200_000,
           required=False),
    Column("past_rappel_24m", "float", _F.CONTROL_HISTORY,
           "Underpayments (rappels) paid back to the household in the last 24 months.",
           "rappels versés sur 24 mois", _CONTROL_LOG, "past underpayments", unit="EUR",
           minimum=0, maximum=200_000, required=False),
    _flag("fraud_ever", _F.CONTROL_HISTORY, "fraud ever established", "fraude déjà qualifiée",
          "A fraud was once established on the file.", "litigation system", required=False),
    # label ------------------------------------------------------------------------------------
    _flag("controlled", _F.LABEL, "checked in the random-control survey",
          "contrôlé dans l'enquête aléatoire",
          "The file was drawn and checked in the random-control survey.", _CHECK,
          required=False),
    Column("control_weight", "float", _F.LABEL,
           "Survey weight of a controlled file: households in its stratum per file drawn; "
           "missing when not controlled.", "poids de sondage", "random-control survey design",
           "survey weight", minimum=1, maximum=1e9, nullable=True, required=False),
    Column("indu_amount", "float", _F.LABEL,
           "Overpayment found by the check, looking back up to 24 months; missing when not "
           "controlled.", "montant de l'indu", _CHECK, "overpayment found", unit="EUR",
           minimum=0, maximum=200_000, nullable=True, required=False),
    _count("indu_months", _F.LABEL, "months of overpayment", "durée de l'indu (mois)",
           "Number of months the overpayment lasted; missing when not controlled.", _CHECK,
           maximum=24, unit="months", nullable=True, required=False),
    _flag("target", _F.LABEL, "overpayment of 600 EUR over 6 months or more",
          "indu d'au moins 600 euros sur au moins 6 mois",
          "The check found an overpayment of at least 600 EUR lasting at least 6 months (the "
          "2026 model's target); missing when not controlled.", _CHECK, nullable=True,
          required=False),
    Column("rappel_amount", "float", _F.LABEL,
           "Underpayment found by the check; missing when not controlled.",
           "montant du rappel", _CHECK, "underpayment found", unit="EUR", minimum=0,
           maximum=200_000, nullable=True, required=False),
    _count("rappel_months", _F.LABEL, "months of underpayment", "durée du rappel (mois)",
           "Number of months the underpayment lasted; missing when not controlled.", _CHECK,
           maximum=24, unit="months", nullable=True, required=False),
    _flag("rappel_target", _F.LABEL, "underpayment of 300 EUR over 3 months or more",
          "rappel d'au moins 300 euros sur au moins 3 mois",
          "The check found an underpayment of at least 300 EUR lasting at least 3 months (the "
          "rights model's target: a file to contact, not to check); missing when not "
          "controlled.", _CHECK, nullable=True, required=False),
    Column("truth_probability", "float", _F.LABEL,
           "Synthetic only: the true probability of the target, from the structural model.",
           "probabilité vraie (synthétique)", "synthetic generator", "true probability",
           minimum=0, maximum=1, required=False),
    _flag("truth_target", _F.LABEL, "true target (synthetic)", "cible vraie (synthétique)",
          "Synthetic only: whether the household truly has the target overpayment, checked "
          "or not.", "synthetic generator", required=False),
    Column("truth_rappel_probability", "float", _F.LABEL,
           "Synthetic only: the true probability of the underpayment target (rappel_target), "
           "from the structural model.", "probabilité vraie de rappel (synthétique)",
           "synthetic generator", "true probability of underpayment", minimum=0, maximum=1,
           required=False),
    _flag("truth_rappel_target", _F.LABEL, "true underpayment target (synthetic)",
          "cible vraie de rappel (synthétique)",
          "Synthetic only: whether the household is truly underpaid by the target amount, "
          "checked or not.", "synthetic generator", required=False),
)
# fmt: on

#: Every column dmde knows, by name, in file order.
CATALOG: Mapping[str, Column] = {c.name: c for c in _COLUMNS}
if len(CATALOG) != len(_COLUMNS):  # pragma: no cover - guards the declaration above
    raise RuntimeError("duplicate column name in the catalog")


#: What an agent does with a file that a model trained on each target ranks high: a check for
#: an overpayment target, a contact ("outreach": does the household receive all its rights?)
#: for an underpayment target.
TARGET_ACTIONS: Mapping[str, str] = {
    "target": "check",
    "truth_target": "check",
    "rappel_target": "outreach",
    "truth_rappel_target": "outreach",
}


def action_of_target(target: str) -> str:
    """The action a model of ``target`` selects files for: ``"outreach"`` for an underpayment
    target, else ``"check"``.

    Examples
    --------
    >>> action_of_target("rappel_target"), action_of_target("target")
    ('outreach', 'check')
    """
    return TARGET_ACTIONS.get(target, "check")


def column(name: str) -> Column:
    """Return the declaration of column ``name``.

    Raises
    ------
    KeyError
        If the catalog has no such column; the message lists the close names.

    Examples
    --------
    >>> column("n_children").family
    <Family.HOUSEHOLD: 'household'>
    """
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(_unknown_column_message(name)) from None


def _unknown_column_message(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), list(CATALOG), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else " Run 'dmde catalog' to list them."
    return f"unknown column {name!r}: the catalog declares no such column.{hint}"


def columns_of(*families: Family | str) -> tuple[str, ...]:
    """Names of the catalog's columns in the given families, in file order.

    Examples
    --------
    >>> columns_of("sensitive")
    ('gender', 'nationality_group', 'age')
    """
    wanted = {Family(f) for f in families}
    return tuple(c.name for c in _COLUMNS if c.family in wanted)


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, init=False)
class FeaturePolicy:
    """Which columns may feed a model.

    The default admits the household, resources and benefits families. A policy can be stricter,
    with fewer families or with named columns removed, never looser: a family or column outside
    household, resources and benefits cannot be admitted.

    Parameters
    ----------
    allowed_families : iterable of Family or str
        Families whose columns are features. Must be a subset of household, resources, benefits.
    removed_columns : iterable of str
        Columns of the allowed families that this policy removes as well.
    name : str
        A name for the policy, recorded in model files and reports.

    Raises
    ------
    PolicyError
        If a family outside household, resources and benefits is asked for, or a removed column
        is unknown.

    Examples
    --------
    >>> policy = FeaturePolicy()
    >>> "web_logins_12m" in policy.features
    False
    >>> FeaturePolicy(allowed_families=["household", "behaviour"])
    Traceback (most recent call last):
    ...
    dmde.core.errors.PolicyError: family 'behaviour' (columns web_logins_12m, ...) cannot be ...
    """

    allowed_families: frozenset[Family] = field(default=FEATURE_FAMILIES)
    removed_columns: tuple[str, ...] = ()
    name: str = "caf-2026"

    def __init__(
        self,
        *,
        allowed_families: Iterable[Family | str] = FEATURE_FAMILIES,
        removed_columns: Iterable[str] = (),
        name: str = "caf-2026",
    ) -> None:
        families = frozenset(_as_family(f) for f in allowed_families)
        for family in sorted(families - FEATURE_FAMILIES):
            cols = columns_of(family)
            shown = ", ".join(cols[:1]) + (", ..." if len(cols) > 1 else "")
            reason = EXCLUDED_FAMILIES.get(family) or NON_FEATURE_FAMILIES[family]
            raise PolicyError(
                f"family {family.value!r} (columns {shown}) cannot be allowed: {reason}. "
                f"A policy may allow only {_family_list(FEATURE_FAMILIES)}."
            )
        removed = tuple(sorted(set(removed_columns)))
        for col in removed:
            if col not in CATALOG:
                raise PolicyError(_unknown_column_message(col))
        object.__setattr__(self, "allowed_families", families)
        object.__setattr__(self, "removed_columns", removed)
        object.__setattr__(self, "name", str(name))

    @property
    def features(self) -> tuple[str, ...]:
        """Every column this policy admits as a feature, in catalog order."""
        return tuple(
            c.name
            for c in _COLUMNS
            if c.family in self.allowed_families and c.name not in self.removed_columns
        )

    def reason_excluded(self, name: str) -> str | None:
        """Why column ``name`` is not a feature under this policy, or None if it is one."""
        col = column(name)
        if col.family in EXCLUDED_FAMILIES:
            return EXCLUDED_FAMILIES[col.family]
        if col.family in NON_FEATURE_FAMILIES:
            return NON_FEATURE_FAMILIES[col.family]
        if col.family not in self.allowed_families:
            return f"this policy ({self.name}) allows only {_family_list(self.allowed_families)}"
        if name in self.removed_columns:
            return f"this policy ({self.name}) removes it"
        return None

    def check(self, columns: Iterable[str]) -> tuple[str, ...]:
        """Return ``columns`` as a tuple if every one is an admitted feature.

        Raises
        ------
        PolicyError
            Naming the first refused column, its family and the reason; unknown columns too.

        Examples
        --------
        >>> FeaturePolicy().check(["n_children", "income_to_smic"])
        ('n_children', 'income_to_smic')
        >>> FeaturePolicy().check(["nationality_group"])
        Traceback (most recent call last):
        ...
        dmde.core.errors.PolicyError: column 'nationality_group' (family 'sensitive') cannot ...
        """
        names = tuple(columns)
        for name in names:
            if name not in CATALOG:
                raise PolicyError(_unknown_column_message(name))
            reason = self.reason_excluded(name)
            if reason is not None:
                family = CATALOG[name].family.value
                raise PolicyError(
                    f"column {name!r} (family {family!r}) cannot be a model feature: {reason}."
                )
        return names

    def to_dict(self) -> dict[str, Any]:
        """The policy as JSON-ready data, with the excluded families and their reasons."""
        return {
            "name": self.name,
            "allowed_families": sorted(f.value for f in self.allowed_families),
            "removed_columns": list(self.removed_columns),
            "excluded_families": {f.value: r for f, r in sorted(EXCLUDED_FAMILIES.items())},
            "features": list(self.features),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeaturePolicy:
        """Rebuild a policy from :meth:`to_dict` output, re-checking it."""
        return cls(
            allowed_families=data["allowed_families"],
            removed_columns=data.get("removed_columns", ()),
            name=data.get("name", "caf-2026"),
        )


def _as_family(value: Family | str) -> Family:
    try:
        return Family(value)
    except ValueError:
        known = ", ".join(f.value for f in Family)
        raise PolicyError(f"unknown family {value!r}: expected one of {known}.") from None


def _family_list(families: Iterable[Family]) -> str:
    return ", ".join(sorted(f.value for f in families))


#: The default policy: the 2026 published guarantees.
DEFAULT_POLICY = FeaturePolicy()

#: Operational columns that say where a household lives: like address columns, they route nothing.
LOCATING_COLUMNS: Mapping[str, str] = {"caf_code": "the local office is the département"}


def check_routing_column(name: str) -> str:
    """Return ``name`` if a model may be routed (segmented) by it; raise PolicyError otherwise.

    Only an operational column routes (how a file is handled, such as ``income_reporting``):
    never a household's situation, an excluded column, nor a column that locates the household
    (:data:`LOCATING_COLUMNS`): one scorecard per office would make the score depend on where
    people live, a geographic proxy that the exclusion of address data forbids.

    Examples
    --------
    >>> check_routing_column("income_reporting")
    'income_reporting'
    >>> check_routing_column("caf_code")
    Traceback (most recent call last):
    ...
    dmde.core.errors.PolicyError: segment_column 'caf_code' locates the household (the local ...
    """
    if name not in CATALOG:
        raise PolicyError(f"segment_column {name!r} is not a catalog column.")
    family = CATALOG[name].family
    if family is not Family.OPERATIONAL:
        raise PolicyError(
            f"segment_column {name!r} is in family {family.value!r}: models may be routed "
            "only by an operational column (such as income_reporting), never by a household's "
            "situation or an excluded column."
        )
    if name in LOCATING_COLUMNS:
        raise PolicyError(
            f"segment_column {name!r} locates the household ({LOCATING_COLUMNS[name]}): a score "
            "routed by it depends on where people live, a geographic proxy, and "
            f"{EXCLUDED_FAMILIES[Family.ADDRESS]}. Route by income_reporting or train one model."
        )
    return name
