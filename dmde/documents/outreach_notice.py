"""The outreach letter: a household that a rights model selected is told it may be entitled to
more, why it is contacted, and what to do, with the same points as a check's notice.

A rights model (``dmde train --target rappel_target``, its model file recording ``action:
outreach``) ranks files by how likely the household is paid too little. The letter for a file it
selected opens with three sections of its own (you may be entitled to ..., why we contact you,
what to do), then gives, unchanged, the sections of the check's notice
(:func:`dmde.documents.notice.notice`) that explain the score: the data read, the points item by
item, what weighed most, what the model never uses, and the operations performed (the last one
saying that the files were selected for a contact). The check's sections on the selection, on what
would have changed the outcome and on contesting are left out: a contact decides nothing and takes
nothing away; its paragraphs on asking for the rules, having an item corrected and referring a
refusal to the CADA are kept, word for word (:data:`ASK_KEYS`). French (the letter sent) or
English (a faithful translation, the same numbers).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from dmde.core.rendering import Document, Items, Lang, Paragraph, Section, format_value, write_text
from dmde.data.catalog import CATALOG
from dmde.documents.explanation import ExplainError, Explanation
from dmde.documents.notice import notice, render_notice, require_action
from dmde.documents.notice_words import phrase

__all__ = ["OUTREACH_STRINGS", "model_action", "outreach_notice", "write_outreach_notice"]

#: The benefits a letter may name, with the column saying whether the household receives it.
_BENEFITS = (
    ("mean_rsa_12m", "le RSA (revenu de solidarité active)", "RSA (revenu de solidarité active)"),
    ("mean_prime_activite_12m", "la prime d'activité", "the prime d'activité (in-work benefit)"),
    ("mean_housing_aid_12m", "une aide au logement", "housing aid"),
)

# fmt: off
#: The sentences of the outreach letter, by language (``str.format`` fields in braces).
OUTREACH_STRINGS: Mapping[Lang, Mapping[str, str]] = {
    "fr": {
        "title": "Vous pourriez avoir droit à davantage",
        "s_entitled": "Vous pourriez avoir droit à …",
        "entitled_intro": "Votre situation laisse penser que vous pourriez recevoir moins que ce "
        "à quoi vous avez droit : une aide que vous ne demandez pas, ou un montant qui ne tient "
        "pas encore compte d'un changement (une baisse de revenus, une perte d'emploi, une "
        "naissance, une séparation).",
        "entitled_list": "D'après votre dossier, vous ne recevez pas aujourd'hui :",
        "entitled_none": "D'après votre dossier, vous recevez déjà le RSA, la prime d'activité "
        "et une aide au logement : un montant pourrait ne pas être à jour.",
        "entitled_maybe": "Ce n'est qu'une possibilité : seul l'examen de votre situation "
        "permet de le dire.",
        "s_why": "Pourquoi nous vous contactons",
        "why_score": "Un modèle statistique a calculé un score à partir de votre dossier : plus "
        "il est élevé, plus il est probable qu'un foyer dans une situation comme la vôtre "
        "reçoive moins que son droit. Votre dossier est au rang {rank}{of_all} ; il fait partie "
        "des dossiers que la Caf a choisi de contacter (score le plus bas retenu : {cut} ; le "
        "vôtre : {score}).",
        "why_random": "Votre dossier a été tiré au sort parmi les dossiers non retenus au titre "
        "du score, pour que la Caf puisse vérifier que le modèle ne laisse personne de côté.",
        "why_none": "Ce courrier explique le score de votre dossier ; aucune liste de contacts "
        "ne l'accompagne.",
        "why_not_check": "Ce contact n'est pas un contrôle. Il ne déclenche aucune vérification "
        "et ne peut ni réduire ni suspendre vos droits.",
        "s_todo": "Ce que vous pouvez faire",
        "todo_items": "Mettez à jour votre situation (revenus, famille, emploi) dans votre "
        "espace personnel sur caf.fr, ou répondez à ce courrier.|Faites une simulation de vos "
        "droits sur caf.fr.|Demandez un rendez-vous des droits à votre Caf : un agent examine "
        "avec vous toutes les aides auxquelles vous pourriez avoir droit.",
        "todo_free": "Vous n'êtes pas obligé de répondre. Si vous ne faites rien, vos droits "
        "restent ceux d'aujourd'hui.",
        "op_contact": "Dans la limite du nombre de contacts prévu, les dossiers aux scores les "
        "plus élevés ont été retenus pour un contact ; un dossier déjà retenu pour un contrôle "
        "n'est pas contacté (le contrôle examine tout le dossier et verse ce qui manque).",
        "op_contact_alone": "Dans la limite du nombre de contacts prévu, les dossiers aux "
        "scores les plus élevés ont été retenus pour un contact.",
        "of_count": " sur {n}",
        "s_ask": "Poser une question ou faire corriger votre dossier",
        "probability": "Ce score correspond à une probabilité estimée de {probability} qu'un "
        "examen de votre situation trouve une somme due et non versée ({target}). C'est une "
        "estimation statistique sur des dossiers comparables, pas un constat sur le vôtre.",
        "scaling": "Le score se traduit en probabilité par une règle fixe : {base_points} points "
        "correspondent à une probabilité de {base_probability}, et chaque fois que le score "
        "augmente de {pdo} points, la cote (la probabilité d'une somme due et non versée divisée "
        "par celle de son absence) double.",
    },
    "en": {
        "title": "You may be entitled to more",
        "s_entitled": "You may be entitled to …",
        "entitled_intro": "Your situation suggests that you may receive less than you are "
        "entitled to: a benefit you have not claimed, or an amount that does not yet reflect a "
        "change (a drop in income, a job lost, a birth, a separation).",
        "entitled_list": "According to your file, you do not receive today:",
        "entitled_none": "According to your file, you already receive RSA, the prime "
        "d'activité and housing aid: an amount may not be up to date.",
        "entitled_maybe": "This is only a possibility: only a review of your situation can "
        "tell.",
        "s_why": "Why we are contacting you",
        "why_score": "A statistical model calculated a score from your file: the higher it is, "
        "the more likely a household in a situation like yours receives less than its due. Your "
        "file ranks {rank}{of_all}; it is among the files the Caf chose to contact (lowest score "
        "contacted: {cut}; yours: {score}).",
        "why_random": "Your file was drawn at random among the files not chosen for their "
        "score, so that the Caf can check that the model leaves nobody out.",
        "why_none": "This letter explains your file's score; no list of contacts comes with it.",
        "why_not_check": "This contact is not a check. It starts no verification and cannot "
        "reduce or suspend your benefits.",
        "s_todo": "What you can do",
        "todo_items": "Update your situation (income, family, work) in your personal space on "
        "caf.fr, or answer this letter.|Run a simulation of your rights on caf.fr.|Ask your "
        "Caf for a rights appointment (rendez-vous des droits): an agent reviews with you every "
        "benefit you may be entitled to.",
        "todo_free": "You do not have to answer. If you do nothing, your benefits stay as they "
        "are today.",
        "op_contact": "Within the number of contacts planned, the files with the highest "
        "scores were chosen for a contact; a file already chosen for a check is not contacted "
        "(the check reviews the whole file and pays what is missing).",
        "op_contact_alone": "Within the number of contacts planned, the files with the "
        "highest scores were chosen for a contact.",
        "of_count": " of {n}",
        "s_ask": "Asking a question or having your file corrected",
        "probability": "This score corresponds to an estimated probability of {probability} "
        "that a review of your situation would find money due and not paid ({target}). It is a "
        "statistical estimate over comparable files, not a finding about yours.",
        "scaling": "The score becomes a probability by a fixed rule: {base_points} points "
        "correspond to a probability of {base_probability}, and every time the score rises by "
        "{pdo} points, the odds (the probability of money due and not paid divided by the "
        "probability of none) double.",
    },
}
# fmt: on

#: The sections of the check's notice that the letter keeps, in order (their points unchanged).
KEPT_SECTIONS = ("data", "points", "weighed", "never", "operations")


def _w(lang: Lang, key: str, **fields: str) -> str:
    return OUTREACH_STRINGS[lang][key].format(**fields)


def outreach_notice(explanation: Explanation, *, lang: Lang = "fr") -> Document:
    """The outreach letter for one file, as a document (see :mod:`dmde.core.rendering`).

    Parameters
    ----------
    explanation : Explanation
        The rights model's explanation of the file (:func:`~dmde.documents.explain.explain`
        or :func:`~dmde.documents.explain.explain_file`, with the outreach selection).
    lang : {"fr", "en"}, default "fr"
    """
    if lang not in OUTREACH_STRINGS:
        raise ExplainError(f"lang must be 'fr' or 'en'; got {lang!r}.")
    require_action(explanation.action, "outreach")
    base = notice(explanation, lang=lang)
    kept = {s.id: s for s in base.sections if s.id in KEPT_SECTIONS}
    sections = [
        _section_entitled(explanation, lang),
        _section_why(explanation, lang),
        _section_todo(lang),
        *(_outreach_words(kept[k], explanation, lang) for k in KEPT_SECTIONS),
        _section_ask(base, lang),
    ]
    return Document(
        kind="outreach_notice",
        title=_w(lang, "title"),
        subtitle=base.subtitle,
        sections=tuple(sections),
        lang=lang,
        meta=base.meta,
        data={**base.data, "action": "outreach"},
    )


#: The paragraphs of the check notice's last section that a contact's letter keeps: how to
#: ask for the rules (L311-3-1), have an item corrected, and refer a refusal to the CADA. Its
#: paragraphs on contesting a decision after a check are left out: a contact decides nothing.
ASK_KEYS = ("contest_ask", "contest_correct", "contest_cada")


def _section_ask(base: Document, lang: Lang) -> Section:
    """The check notice's ask / correct / CADA paragraphs, word for word, under their title."""
    contest = next(s for s in base.sections if s.id == "contest")
    kept = {phrase(lang, k) for k in ASK_KEYS}
    blocks = tuple(b for b in contest.blocks if isinstance(b, Paragraph) and b.text in kept)
    return Section("ask", _w(lang, "s_ask"), blocks)


def _section_entitled(e: Explanation, lang: Lang) -> Section:
    blocks: list[Paragraph | Items] = [Paragraph(_w(lang, "entitled_intro"))]
    missing = [
        name_fr if lang == "fr" else name_en
        for column, name_fr, name_en in _BENEFITS
        if _is_zero(e.values.get(column))
    ]
    if missing:
        blocks += [Paragraph(_w(lang, "entitled_list")), Items(tuple(missing))]
    elif all(e.values.get(c) is not None for c, _, _ in _BENEFITS):
        blocks.append(Paragraph(_w(lang, "entitled_none")))
    blocks.append(Paragraph(_w(lang, "entitled_maybe"), kind="note"))
    return Section("entitled", _w(lang, "s_entitled"), tuple(blocks))


def _is_zero(value: object) -> bool:
    return isinstance(value, int | float) and float(value) == 0.0


def _section_why(e: Explanation, lang: Lang) -> Section:
    p = e.placement
    decimals = f"num{min(e.decimals, 3)}"
    if p is None:
        first = Paragraph(_w(lang, "why_none"))
    elif p.selected and p.reason == "score":
        of_all = "" if p.n_files is None else _w(lang, "of_count", n=_int(p.n_files, lang))
        first = Paragraph(
            _w(
                lang,
                "why_score",
                rank=_int(p.rank_national, lang),
                of_all=of_all,
                cut="–" if p.cut is None else format_value(p.cut, decimals, lang=lang),
                score=format_value(e.score, decimals, lang=lang),
            )
        )
    else:
        first = Paragraph(_w(lang, "why_random"))
    return Section("why", _w(lang, "s_why"), (first, Paragraph(_w(lang, "why_not_check"))))


def _int(n: int | None, lang: Lang) -> str:
    return "–" if n is None else format_value(n, "int", lang=lang)


def _section_todo(lang: Lang) -> Section:
    steps = tuple(_w(lang, "todo_items").split("|"))
    return Section(
        "todo",
        _w(lang, "s_todo"),
        (Items(steps, ordered=True), Paragraph(_w(lang, "todo_free"), kind="ok")),
    )


def _outreach_words(section: Section, e: Explanation, lang: Lang) -> Section:
    """A section of the check's notice with its sentences about a check said of a contact: the
    probability (of an underpayment, the rights model's target), the scale's odds, and the
    last operation (the selection for a contact). Every number and point is kept."""
    scaling = e.scaling
    fields = {
        "base_points": format_value(scaling.base_points, "num0", lang=lang),
        "base_probability": format_value(
            float(scaling.probability(scaling.base_points)), "pct0", lang=lang
        ),
        "pdo": format_value(scaling.pdo, "num0", lang=lang),
    }
    probability = format_value(e.probability, "pct1", lang=lang)
    target = CATALOG["target"].label_fr if lang == "fr" else CATALOG["target"].label
    rappel = CATALOG["rappel_target"].label_fr if lang == "fr" else CATALOG["rappel_target"].label
    swaps = {
        phrase(lang, "probability", probability=probability, target=target): _w(
            lang, "probability", probability=probability, target=rappel
        ),
        phrase(lang, "scaling", **fields): _w(lang, "scaling", **fields),
    }
    blocks = []
    for block in section.blocks:
        if isinstance(block, Paragraph) and block.text in swaps:
            block = Paragraph(swaps[block.text], kind=block.kind)
        elif (
            isinstance(block, Items)
            and block.items
            and block.items[-1] == phrase(lang, "op_select")
        ):
            # "a file chosen for a check is not contacted" only when the selection says so
            contact = "op_contact" if e.overlap_removed else "op_contact_alone"
            block = Items((*block.items[:-1], _w(lang, contact)), ordered=block.ordered)
        blocks.append(block)
    return Section(section.id, section.title, tuple(blocks))


def write_outreach_notice(
    explanation: Explanation,
    path: str | os.PathLike[str],
    *,
    lang: Lang = "fr",
    format: str = "html",
) -> Path:
    """Write one outreach letter to ``path`` (atomically) and return the path."""
    target = Path(path)
    write_text(target, render_notice(outreach_notice(explanation, lang=lang), format=format))
    return target


def model_action(path: str | os.PathLike[str]) -> str:
    """The action a model file's training facts record: ``"outreach"`` for a rights model
    (``dmde train --target rappel_target``), ``"check"`` when none is recorded (every model of
    an overpayment target, and every file written before outreach existed)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        training = document.get("training", {}) if isinstance(document, dict) else {}
        action = training.get("action") if isinstance(training, dict) else None
    except (OSError, ValueError):
        return "check"  # the model's own loading says what is wrong with the file
    return "outreach" if action == "outreach" else "check"
