"""A model file's detached signature, and its check against a public key (Ed25519).

A model file's ``sha256`` proves integrity, not origin: whoever edits the file can recompute it.
A committee that approves a model signs the file's exact bytes with its private key
(:func:`dmde.model.signing.sign_model`); the signature goes beside the model, in
``<model>.sig`` (:func:`signature_path`), a small versioned JSON file::

    {"format": "dmde.signature", "format_version": 1, "algorithm": "ed25519",
     "model_sha256": "<SHA-256 of the model file's bytes>",
     "model_content_sha256": "<the model's own sha256 field>",
     "key_id": "<16 hex digits>", "signature": "<base64, 64 bytes>",
     "signer": "<text>" or null, "signed_on": "<YYYY-MM-DD>" or null}

The signature covers the model file's bytes and nothing else: the other fields say which file
and key it is for (and are checked against them), while ``signer`` and ``signed_on`` are
labels that nothing proves. The key id is the first 16 hexadecimal digits of the SHA-256 of the
raw 32-byte public key (:func:`key_id`).

:func:`check_signature` checks bytes already read: the model loader
(:func:`dmde.model.model_file.read_model_file` with ``verify_key``) reads the model file once,
checks the signature on those bytes and builds the model from the same bytes, so the file
cannot be swapped between the check and the use. The signature and key files are read under
the guarded reader's rules (regular files, at most :data:`MAX_SIGNATURE_BYTES`), and every
refusal is one :class:`SignatureError` line naming the file and what to do; key material is
never printed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dmde.model.model_file_checks import ModelFileError, parse_model_json, read_model_bytes

if TYPE_CHECKING:  # imported where used: `dmde --help` does not load the cryptography library
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "ALGORITHM",
    "MAX_SIGNATURE_BYTES",
    "SIGNATURE_FORMAT",
    "SIGNATURE_FORMAT_VERSION",
    "SIGNATURE_SUFFIX",
    "Signature",
    "SignatureError",
    "check_content_hash",
    "check_signature",
    "key_id",
    "read_public_key",
    "read_signature",
    "signature_path",
    "signature_text",
]

#: The ``format`` field of a signature file.
SIGNATURE_FORMAT = "dmde.signature"
#: The signature file format this version writes and reads; other versions are refused.
SIGNATURE_FORMAT_VERSION = 1
#: The only signature algorithm: Ed25519 (RFC 8032), from the ``cryptography`` package.
ALGORITHM = "ed25519"
#: What a model's signature file is named: the model file's name and this suffix.
SIGNATURE_SUFFIX = ".sig"
#: The largest signature or key file dmde reads (64 KiB; a genuine one holds under 1 KiB).
MAX_SIGNATURE_BYTES = 64 * 1024

_FIELDS = (
    "format",
    "format_version",
    "algorithm",
    "model_sha256",
    "model_content_sha256",
    "key_id",
    "signature",
    "signer",
    "signed_on",
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SIGNATURE_BYTES = 64
_RESIGN = "Sign the model again with 'dmde sign'."
_KEYGEN = "Give the public key file 'dmde keygen' wrote (NAME.pub)."


class SignatureError(ModelFileError):
    """A model's signature, or a key, that dmde refuses (a :class:`ModelFileError`)."""


@dataclass(frozen=True)
class Signature:
    """A model file's detached signature, as its signature file records it.

    Attributes
    ----------
    model_sha256 : str
        SHA-256 of the signed model file's bytes.
    model_content_sha256 : str
        The signed model's own ``sha256`` field: the hash run manifests, the description and the
        model card show.
    key_id : str
        The signing key's id (:func:`key_id`).
    signature : bytes
        The Ed25519 signature of the model file's bytes (64 bytes).
    signer : str or None
        Who signed, as they said (a label: the signature does not cover it).
    signed_on : str or None
        The date of signing, ``YYYY-MM-DD`` (a label as well).
    """

    model_sha256: str
    model_content_sha256: str
    key_id: str
    signature: bytes
    signer: str | None = None
    signed_on: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The signature file's content."""
        return {
            "format": SIGNATURE_FORMAT,
            "format_version": SIGNATURE_FORMAT_VERSION,
            "algorithm": ALGORITHM,
            "model_sha256": self.model_sha256,
            "model_content_sha256": self.model_content_sha256,
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "signer": self.signer,
            "signed_on": self.signed_on,
        }


def signature_path(model: str | os.PathLike[str]) -> Path:
    """Where a model file's signature lies: beside it, its name plus ``.sig``.

    Examples
    --------
    >>> signature_path("models/model.json").as_posix()
    'models/model.json.sig'
    """
    return Path(os.fspath(model) + SIGNATURE_SUFFIX)


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 hexadecimal digits of the SHA-256 of the raw 32-byte public key."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# ------------------------------------------------------------------------------------- keys
def read_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file (as ``dmde keygen`` writes ``NAME.pub``).

    Raises
    ------
    SignatureError
        The file cannot be read, is not a PEM public key, is a private key (said so: the
        private key stays with whoever signs), or is a key of another algorithm. The key's
        content is never shown.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    shown = os.fspath(path)
    raw = _read(path, "public key file", _KEYGEN)
    if b"PRIVATE KEY-----" in raw:
        raise SignatureError(
            f"{shown}: this is a private key, not a public key: checking a signature needs only "
            "the public key (NAME.pub from 'dmde keygen'). Keep the private key with whoever "
            "signs, away from the machines that score."
        )
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # reasons not shown: key material
        raise SignatureError(f"{shown}: not a PEM public key. {_KEYGEN}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureError(
            f"{shown}: a public key of another algorithm ({_algorithm(key)}); dmde checks "
            f"Ed25519 signatures. {_KEYGEN}"
        )
    return key


def _algorithm(key: object) -> str:
    name = type(key).__name__.removeprefix("_")
    for prefix in ("RSA", "EllipticCurve", "DSA", "Ed448", "X25519", "X448"):
        if name.startswith(prefix):
            return "elliptic curve ECDSA" if prefix == "EllipticCurve" else prefix
    return name


def _read(path: str | os.PathLike[str], what: str, fix: str) -> bytes:
    return read_model_bytes(path, what=what, limit=MAX_SIGNATURE_BYTES, fix=fix)


# ------------------------------------------------------------------------- signature files
def read_signature(path: str | os.PathLike[str]) -> Signature:
    """A signature file, read under the guarded reader's rules and checked field by field.

    Raises
    ------
    SignatureError
        The file cannot be read, is too large, is not JSON, repeats a key, is of another format,
        version or algorithm, or a field is missing, unknown or of the wrong form.

    Examples
    --------
    >>> read_signature("/dev/null")
    Traceback (most recent call last):
    ...
    dmde.model.signature_file.SignatureError: cannot read signature file '/dev/null': it is a ...
    """
    shown = os.fspath(path)
    try:
        raw = _read(path, "signature file", "Give the .sig file 'dmde sign' wrote.")
        document = parse_model_json(raw, shown, what="signature file", fix=_RESIGN)
    except SignatureError:
        raise
    except ModelFileError as exc:
        raise SignatureError(str(exc)) from None
    return _signature(document, shown)


def _signature(document: Any, shown: str) -> Signature:
    def bad(message: str) -> SignatureError:
        return SignatureError(f"{shown}: malformed signature file: {message} {_RESIGN}")

    if not isinstance(document, dict) or document.get("format") != SIGNATURE_FORMAT:
        raise bad(f'not a dmde signature file (expected "format": "{SIGNATURE_FORMAT}").')
    version = document.get("format_version")
    if type(version) is not int or version != SIGNATURE_FORMAT_VERSION:  # not 1.0, not true
        raise bad(
            f"format_version {version!r}: this dmde reads version {SIGNATURE_FORMAT_VERSION}."
        )
    missing = [k for k in _FIELDS if k not in document]
    unknown = [k for k in document if k not in _FIELDS]
    if missing or unknown:
        what = f"field {missing[0]} is missing" if missing else f"unknown field {unknown[0]!r}"
        raise bad(f"{what} (expected {', '.join(_FIELDS)}).")
    if document["algorithm"] != ALGORITHM:
        raise bad(f"algorithm {_short(document['algorithm'])}: dmde signs with {ALGORITHM!r}.")
    for name, rule, expected in (
        ("model_sha256", _SHA256, "64 lowercase hexadecimal digits"),
        ("model_content_sha256", _SHA256, "64 lowercase hexadecimal digits"),
        ("key_id", _KEY_ID, "16 lowercase hexadecimal digits"),
    ):
        value = document[name]
        if not isinstance(value, str) or not rule.match(value):
            raise bad(f"field {name}: expected {expected}; got {_short(value)}.")
    signature = _signature_bytes(document["signature"])
    if signature is None:
        raise bad(
            f"field signature: expected the base64 of {_SIGNATURE_BYTES} bytes; got "
            f"{_short(document['signature'])}."
        )
    signer, signed_on = document["signer"], document["signed_on"]
    if signer is not None and not isinstance(signer, str):
        raise bad(f"field signer: expected text or null; got {_short(signer)}.")
    if signed_on is not None and not (isinstance(signed_on, str) and _DATE.match(signed_on)):
        raise bad(f"field signed_on: expected a date YYYY-MM-DD or null; got {_short(signed_on)}.")
    return Signature(
        model_sha256=document["model_sha256"],
        model_content_sha256=document["model_content_sha256"],
        key_id=document["key_id"],
        signature=signature,
        signer=signer,
        signed_on=signed_on,
    )


def _signature_bytes(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return decoded if len(decoded) == _SIGNATURE_BYTES else None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


# ---------------------------------------------------------------------------------- checking
def check_signature(
    raw: bytes, *, model_path: str | os.PathLike[str], key_path: str | os.PathLike[str]
) -> Signature:
    """Check that the model file's bytes ``raw`` carry a signature by the key in ``key_path``.

    ``raw`` are the bytes the caller read (once) and goes on to use; the signature file is
    ``<model_path>.sig``.

    Returns
    -------
    Signature
        The signature, checked.

    Raises
    ------
    SignatureError
        One line for each case: the key file is not a PEM Ed25519 public key (a private key is
        said to be one); there is no signature file; the signature file is malformed; it is
        by another key (both key ids said); it was made for other bytes (the model file changed
        after signing, or the signature belongs to another model); the signature does not
        verify (the signature file was forged or damaged).
    """
    from cryptography.exceptions import InvalidSignature

    shown, key_shown = os.fspath(model_path), os.fspath(key_path)
    public_key = read_public_key(key_path)
    expected = key_id(public_key)
    sig_path = signature_path(model_path)
    if not os.path.lexists(sig_path):
        raise SignatureError(
            f"{shown}: no signature file {sig_path}: the model must be signed by the key "
            f"{expected} ({key_shown}). Use the model file as the committee approved and "
            "signed it, with its .sig beside it ('dmde sign')."
        )
    signature = read_signature(sig_path)
    if signature.key_id != expected:
        raise SignatureError(
            f"{shown}: signed by the key {signature.key_id}, not by the key {expected} "
            f"({key_shown}): this is not a model approved with that key. Use the model the "
            "key's holder signed, or the public key of whoever signed this one."
        )
    actual = hashlib.sha256(raw).hexdigest()
    if signature.model_sha256 != actual:
        raise SignatureError(
            f"{shown}: the file is not the one signed: its SHA-256 is {actual[:16]}..., "
            f"{sig_path} was made for {signature.model_sha256[:16]}... (the model changed "
            "after signing, or the signature is another model's). Use the model file as "
            "signed, or have this one reviewed and signed."
        )
    try:
        public_key.verify(signature.signature, raw)
    except InvalidSignature:
        raise SignatureError(
            f"{shown}: the signature in {sig_path} does not verify with the key {expected}: "
            "the signature file was forged or damaged. Use the files as signed, or sign the "
            "model again."
        ) from None
    return signature


def check_content_hash(signature: Signature, content_sha256: str, *, model_path: str) -> None:
    """The signed model's own hash, as the signature file records it, is the loaded one's.

    The signature covers the model file's bytes, so a loaded model's hash follows from them;
    a difference means the signature file's ``model_content_sha256`` was edited.
    """
    if signature.model_content_sha256 != content_sha256:
        raise SignatureError(
            f"{model_path}: {signature_path(model_path)} records the model hash "
            f"{signature.model_content_sha256[:16]}..., the file's is {content_sha256[:16]}...: "
            f"the signature file was edited. {_RESIGN}"
        )


def signature_text(signature: Signature) -> str:
    """The signature file's text (JSON, two-space indent, one line per field)."""
    return json.dumps(signature.to_dict(), indent=2, ensure_ascii=False) + "\n"
