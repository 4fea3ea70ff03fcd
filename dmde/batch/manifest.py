"""Run manifests, as the batch layer names them: :mod:`dmde.data.manifest` re-exported.

Writing and reading manifests moved to the data layer (:mod:`dmde.data.manifest`), beside the
other readers of dmde's outputs; these names keep working from here.
"""

from dmde.data.manifest import manifest_path, read_manifest, sha256_file, write_manifest

__all__ = ["manifest_path", "read_manifest", "sha256_file", "write_manifest"]
