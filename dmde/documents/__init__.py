"""The documents: what dmde writes for people, from the model file that actually scores.

Three documents, each built as data first and rendered second (HTML, Markdown, text or JSON):

- **The notice for the person concerned** (CRPA L311-3-1, ``dmde explain``): how one file's
  score was calculated, item by item. :mod:`dmde.documents.explain` holds the entry points
  (``explain``, ``explain_file``, ``write_notices``); the explanation's records are in
  :mod:`~dmde.documents.explanation`, the rows are found in the data file by
  :mod:`~dmde.documents.row_lookup` and placed in the selection by
  :mod:`~dmde.documents.selection_table`, the smallest changes that would have lowered the
  score are searched by :mod:`~dmde.documents.counterfactual`, and the notice is rendered by
  :mod:`~dmde.documents.notice` with the words of :mod:`~dmde.documents.value_words` and
  :mod:`~dmde.documents.notice_words` (French and English).
- **The model's public description and model card** (CRPA L312-1-3, ``dmde document``):
  :mod:`dmde.documents.describe` reads the model file and writes both; the content is
  :mod:`~dmde.documents.model_description`, the lift at the budget is measured by
  :mod:`~dmde.documents.lift`, the audit report summarised by
  :mod:`~dmde.documents.audit_summary`, and the two documents rendered by
  :mod:`~dmde.documents.description_document` and :mod:`~dmde.documents.model_card`.
- **The comparison of two models** for the ethics committee (``dmde diff``):
  :mod:`dmde.documents.compare` compares the model files (:mod:`~dmde.documents.model_diff`)
  and their selections on a population (:mod:`~dmde.documents.selection_diff`, which reads the
  groups through the audit), rendered by :mod:`~dmde.documents.comparison_document`.

Each entry-point module re-exports the names of its parts, so that ``from
dmde.documents.explain import notice`` works as it always has.
"""
