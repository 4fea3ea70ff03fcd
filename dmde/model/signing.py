"""Signing a model file, so that a committee can tell the model it approved from a forged one.

A model file's ``sha256`` proves that the file was not damaged, not who wrote it: whoever edits
the points can recompute it. A signature can only be made with a private key. The committee
that approves a model keeps that key; whoever scores holds only the public key:

1. :func:`generate_key_pair` writes ``NAME.key`` (the private key, PEM, readable by its owner
   only, never written over an existing file) and ``NAME.pub`` (the public key, PEM)
   (``dmde keygen --out NAME``);
2. :func:`sign_model` signs the exact bytes of a model file that dmde loads, and writes the
   signature beside it, ``<model>.sig`` (``dmde sign --model M --key NAME.key``);
3. :func:`verify_model`, or any loader with ``verify_key=NAME.pub``
   (:func:`~dmde.model.model_file.load_model`, ``dmde score --verify-key NAME.pub`` and every
   command that reads a model), refuses a model without a signature by that key, or whose bytes
   are not the signed ones.

Ed25519 (RFC 8032) signatures, from the ``cryptography`` package. The signature file's format
and the check are in :mod:`dmde.model.signature_file`; what a signature proves and what it does
not (a stolen key, a bad model approved, an older signed model put back) is in the
documentation's page on the model file's threats.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dmde.core.errors import ParameterError
from dmde.core.files import write_text
from dmde.model.model_file import model_file_from_bytes, read_model_file
from dmde.model.model_file_checks import read_model_bytes
from dmde.model.model_records import ModelFile
from dmde.model.signature_file import (
    MAX_SIGNATURE_BYTES,
    Signature,
    SignatureError,
    key_id,
    signature_path,
    signature_text,
)

if TYPE_CHECKING:  # imported where used: `dmde --help` does not load the cryptography library
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "PRIVATE_SUFFIX",
    "PUBLIC_SUFFIX",
    "KeyPair",
    "generate_key_pair",
    "read_private_key",
    "sign_model",
    "verify_model",
]

#: The private key's file: ``NAME.key``.
PRIVATE_SUFFIX = ".key"
#: The public key's file: ``NAME.pub``.
PUBLIC_SUFFIX = ".pub"
_SIGNER_LENGTH = 200


@dataclass(frozen=True)
class KeyPair:
    """The files of a key pair written by :func:`generate_key_pair`.

    Attributes
    ----------
    private_key : Path
        ``NAME.key``: signs. Mode 0600; keep it off the machines that score.
    public_key : Path
        ``NAME.pub``: checks signatures; give it to whoever scores (``--verify-key``).
    key_id : str
        The key's id, as signature files record it.
    """

    private_key: Path
    public_key: Path
    key_id: str


def generate_key_pair(name: str | os.PathLike[str]) -> KeyPair:
    """Write a new Ed25519 key pair: ``NAME.key`` (private) and ``NAME.pub`` (public).

    The private key is written in PEM (PKCS #8, not encrypted) with mode 0600, created
    exclusively: an existing file is never written over, nor read.

    Parameters
    ----------
    name : path
        The two files' path without their suffix (``keys/committee`` writes
        ``keys/committee.key`` and ``keys/committee.pub``; the folder must exist).

    Raises
    ------
    ParameterError
        If ``name`` ends in ``.key`` or ``.pub`` (the suffixes are added).
    SignatureError
        If either file exists (nothing is written) or cannot be written.

    Examples
    --------
    >>> import os, stat, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     pair = generate_key_pair(os.path.join(tmp, "committee"))
    ...     mode = stat.S_IMODE(os.stat(pair.private_key).st_mode)
    ...     names = sorted(os.listdir(tmp))
    >>> names, oct(mode), len(pair.key_id)
    (['committee.key', 'committee.pub'], '0o600', 16)
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    base = os.fspath(name)
    if base.endswith((PRIVATE_SUFFIX, PUBLIC_SUFFIX)) or not Path(base).name:
        raise ParameterError(
            "name",
            f"a name without {PRIVATE_SUFFIX} or {PUBLIC_SUFFIX} (both files get their suffix)",
            base,
            fix="For example 'committee' writes committee.key and committee.pub.",
        )
    private_path, public_path = Path(base + PRIVATE_SUFFIX), Path(base + PUBLIC_SUFFIX)
    present = [p for p in (private_path, public_path) if os.path.lexists(p)]
    if present:
        raise SignatureError(
            f"{present[0]} exists: dmde keygen never writes over a key (a signing key lost is "
            "every signature it made left unverifiable by a new one). Choose another name."
        )
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _create(private_path, private_pem, mode=0o600)
    try:
        _create(public_path, public_pem, mode=0o644)
    except SignatureError:
        with suppress(OSError):
            private_path.unlink()
        raise
    return KeyPair(private_path, public_path, key_id(key.public_key()))


def _create(path: Path, content: bytes, *, mode: int) -> None:
    """Create ``path`` (never over an existing file), write ``content``, sync it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    except FileExistsError:
        raise SignatureError(
            f"{path} exists: dmde keygen never writes over a key. Choose another name."
        ) from None
    except OSError as exc:
        raise SignatureError(
            f"cannot write {path}: {exc.strerror}; check that the folder exists and is writable."
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:  # pragma: no cover - a full disk
        with suppress(OSError):
            path.unlink()
        raise SignatureError(f"cannot write {path}: {exc.strerror}.") from None


def read_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file (``NAME.key`` from :func:`generate_key_pair`).

    Raises
    ------
    SignatureError
        The file cannot be read, is a public key (said so), is not an unencrypted PEM private
        key, or is a key of another algorithm. The key's content is never shown.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    shown = os.fspath(path)
    fix = "Give the private key file 'dmde keygen' wrote (NAME.key)."
    raw = read_model_bytes(path, what="private key file", limit=MAX_SIGNATURE_BYTES, fix=fix)
    if b"PUBLIC KEY-----" in raw:
        raise SignatureError(
            f"{shown}: this is a public key: signing needs the private key (NAME.key from "
            "'dmde keygen'); the public key (NAME.pub) is for checking."
        )
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except TypeError:  # encrypted
        raise SignatureError(
            f"{shown}: the private key is protected by a passphrase; dmde reads the "
            f"unencrypted keys 'dmde keygen' writes. {fix}"
        ) from None
    except (ValueError, UnsupportedAlgorithm):  # the reasons are not shown: key material
        raise SignatureError(f"{shown}: not a PEM private key. {fix}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(
            f"{shown}: a private key of another algorithm; dmde signs with Ed25519. {fix}"
        )
    return key


def sign_model(
    model: str | os.PathLike[str],
    key: str | os.PathLike[str],
    *,
    signer: str | None = None,
    date: str | None = None,
) -> Signature:
    """Sign a model file's exact bytes and write the signature beside it, ``<model>.sig``.

    The file is read once; the model it holds must load (every check of
    :func:`~dmde.model.model_file.load_model`), and those same bytes are signed. A previous
    signature file of the model is replaced (atomically).

    Parameters
    ----------
    model : path
        The model file, as approved.
    key : path
        The private key file (``NAME.key``).
    signer : str, optional
        Who signs, in words ("Ethics committee, session of 2026-11-27"): a label, at most 200
        characters on one line. The signature does not cover it.
    date : str, optional
        The date of signing, ``YYYY-MM-DD`` (default: today). A label as well.

    Returns
    -------
    Signature
        What the signature file records (its key id, the model file's SHA-256 and the model's
        own hash, the one run manifests and descriptions show).

    Raises
    ------
    ParameterError
        A ``signer`` or ``date`` of the wrong form.
    ModelFileError
        The model file does not load (nothing is signed), or the key is not an Ed25519 private
        key (a ``SignatureError``).

    Examples
    --------
    >>> import os, tempfile
    >>> from dmde.data.synthetic import synthesize
    >>> from dmde.model.model_file import save_model
    >>> from dmde.model.scorecard import Scorecard
    >>> df = synthesize(3_000, seed=1, controls=1_500)
    >>> checked = df[df["controlled"] == 1]
    >>> model = Scorecard(features=["n_children", "income_to_smic"])
    >>> model = model.fit(checked, checked["target"], checked["control_weight"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "model.json")
    ...     digest = save_model(model, path)
    ...     pair = generate_key_pair(os.path.join(tmp, "committee"))
    ...     signed = sign_model(path, pair.private_key, signer="Ethics committee")
    ...     checked_file = verify_model(path, pair.public_key)
    >>> signed.key_id == pair.key_id, signed.model_content_sha256 == digest
    (True, True)
    >>> checked_file.sha256 == digest
    True
    """
    signer = _signer(signer)
    date = _date(date)
    private_key = read_private_key(key)
    raw = read_model_bytes(model)
    model_file: ModelFile = model_file_from_bytes(raw, path=model)
    signature = Signature(
        model_sha256=hashlib.sha256(raw).hexdigest(),
        model_content_sha256=model_file.sha256,
        key_id=key_id(private_key.public_key()),
        signature=private_key.sign(raw),
        signer=signer,
        signed_on=date,
    )
    write_text(
        signature_path(model),
        signature_text(signature),
        what="signature file",
        error=SignatureError,
    )
    return signature


def _signer(signer: str | None) -> str | None:
    if signer is None:
        return None
    if (
        not isinstance(signer, str)
        or not signer.strip()
        or len(signer) > _SIGNER_LENGTH
        or not signer.isprintable()
    ):
        raise ParameterError(
            "signer",
            f"text of 1 to {_SIGNER_LENGTH} printable characters on one line",
            signer,
            fix="Name who signs, e.g. 'Ethics committee, 2026-11-27'.",
        )
    return signer.strip()


def _date(date: str | None) -> str:
    if date is None:
        return datetime.datetime.now(datetime.UTC).date().isoformat()
    if isinstance(date, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        with suppress(ValueError):
            return datetime.date.fromisoformat(date).isoformat()
    raise ParameterError("date", "a date YYYY-MM-DD", date)


def verify_model(model: str | os.PathLike[str], key: str | os.PathLike[str]) -> ModelFile:
    """Read a model file that must be signed by the public key in ``key``.

    The same as :func:`~dmde.model.model_file.read_model_file` with ``verify_key=key``: the
    file's bytes are read once, the signature ``<model>.sig`` checked on them, and the model
    built from the same bytes.

    Raises
    ------
    SignatureError
        No signature file, a signature by another key (both key ids said) or of other bytes
        (the file changed after signing), a malformed signature file, a key file that is not a
        PEM Ed25519 public key. Also the refusals of the model file itself.
    """
    return read_model_file(model, verify_key=key)
