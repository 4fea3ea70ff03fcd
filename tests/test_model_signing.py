"""Signed model files: a committee's key tells the model it approved from a forged one.

The round trip (keygen, sign, verify), every forgery refused with one line naming what is
wrong, the loader's single read of the bytes it checks, and the same through the command line.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from dmde.batch.scoring import score_file
from dmde.cli import main
from dmde.core.errors import ParameterError
from dmde.model import published_model as model_file_module  # reads and checks the bytes
from dmde.model.model_file import (
    ModelFileError,
    content_hash,
    load_model,
    read_model_file,
    save_model,
)
from dmde.model.scorecard import Scorecard, ScorecardFamily
from dmde.model.signature_file import (
    MAX_SIGNATURE_BYTES,
    SignatureError,
    read_signature,
    signature_path,
)
from dmde.model.signing import KeyPair, generate_key_pair, sign_model, verify_model

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "synthetic" / "population-10k.csv"
FORMAT_1 = ROOT / "tests" / "fixtures" / "model-format-1.json"


@dataclass(frozen=True)
class Keys:
    committee: KeyPair
    other: KeyPair


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    folder = tmp_path_factory.mktemp("keys")
    return Keys(generate_key_pair(folder / "committee"), generate_key_pair(folder / "other"))


@pytest.fixture(scope="module")
def other_model_file(checked: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another genuine model (fewer features): consistent, loads, was never approved."""
    model = Scorecard(features=["n_children", "income_to_smic", "household_type"])
    model.fit(checked, checked["target"], checked["control_weight"])
    path = tmp_path_factory.mktemp("other") / "other.json"
    save_model(model, path)
    return path


@pytest.fixture
def signed(family_file: Path, keys: Keys, tmp_path: Path) -> Path:
    """The shared model, copied and signed by the committee's key."""
    path = tmp_path / "model.json"
    shutil.copyfile(family_file, path)
    sign_model(path, keys.committee.private_key, signer="Ethics committee", date="2026-11-27")
    return path


# ----------------------------------------------------------------------------------- keys
def test_keygen_writes_a_private_key_for_its_owner_only_and_a_public_key(tmp_path: Path) -> None:
    pair = generate_key_pair(tmp_path / "committee")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["committee.key", "committee.pub"]
    assert stat.S_IMODE(pair.private_key.stat().st_mode) == 0o600
    assert pair.private_key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    public = serialization.load_pem_public_key(pair.public_key.read_bytes())
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert pair.key_id == hashlib.sha256(raw).hexdigest()[:16]
    assert generate_key_pair(tmp_path / "second").key_id != pair.key_id


@pytest.mark.parametrize("present", ["committee.key", "committee.pub"])
def test_keygen_never_writes_over_a_key(tmp_path: Path, present: str) -> None:
    (tmp_path / present).write_bytes(b"an existing key\n")
    with pytest.raises(SignatureError, match=rf"{present} exists: dmde keygen never writes over"):
        generate_key_pair(tmp_path / "committee")
    assert [p.name for p in tmp_path.iterdir()] == [present]  # nothing else written
    assert (tmp_path / present).read_bytes() == b"an existing key\n"


@pytest.mark.parametrize("name", ["committee.key", "committee.pub"])
def test_keygen_takes_a_name_without_suffix(tmp_path: Path, name: str) -> None:
    with pytest.raises(ParameterError, match=r"name must be a name without \.key or \.pub"):
        generate_key_pair(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- round trip
def test_a_signed_model_verifies_and_scores_as_the_unsigned_one(
    signed: Path, keys: Keys, family_file: Path, population: pd.DataFrame
) -> None:
    checked_file = verify_model(signed, keys.committee.public_key)
    plain = load_model(family_file)
    assert checked_file.sha256 == plain.model_sha256_
    verified = load_model(signed, verify_key=keys.committee.public_key)
    assert verified.model_sha256_ == plain.model_sha256_
    np.testing.assert_array_equal(verified.points(population), plain.points(population))
    assert signed.read_bytes() == family_file.read_bytes()  # signing leaves the model as it is


def test_the_signature_file_says_which_file_which_key_and_who(signed: Path, keys: Keys) -> None:
    document = json.loads(signature_path(signed).read_text(encoding="utf-8"))
    assert document == {
        "format": "dmde.signature",
        "format_version": 1,
        "algorithm": "ed25519",
        "model_sha256": hashlib.sha256(signed.read_bytes()).hexdigest(),
        "model_content_sha256": json.loads(signed.read_text(encoding="utf-8"))["sha256"],
        "key_id": keys.committee.key_id,
        "signature": document["signature"],
        "signer": "Ethics committee",
        "signed_on": "2026-11-27",
    }
    assert len(base64.b64decode(document["signature"])) == 64
    assert read_signature(signature_path(signed)).key_id == keys.committee.key_id


def test_signing_is_deterministic(signed: Path, keys: Keys) -> None:
    first = signature_path(signed).read_bytes()
    sign_model(signed, keys.committee.private_key, signer="Ethics committee", date="2026-11-27")
    assert signature_path(signed).read_bytes() == first


def test_a_file_written_by_an_earlier_version_can_be_signed_and_still_scores(
    keys: Keys, tmp_path: Path
) -> None:
    path = tmp_path / "model-format-1.json"
    shutil.copyfile(FORMAT_1, path)
    sign_model(path, keys.committee.private_key, date="2026-11-27")
    verified = load_model(path, verify_key=keys.committee.public_key)
    assert verified.model_sha256_ == load_model(FORMAT_1).model_sha256_
    assert path.read_bytes() == FORMAT_1.read_bytes()
    save_model(verified, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == FORMAT_1.read_bytes()


# ------------------------------------------------------------------------------- forgeries
Forgery = Callable[[Path, Keys, Path], Path]  # (signed model, keys, other model) -> key to use


def _edit_points(model: Path, keys: Keys, other: Path) -> Path:
    document = json.loads(model.read_text(encoding="utf-8"))
    variable = document["segments"]["prefilled"]["variables"][0]
    variable["points"][0] += 5.0
    document["sha256"] = content_hash(document)
    model.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return keys.committee.public_key


def _replace_model(model: Path, keys: Keys, other: Path) -> Path:
    shutil.copyfile(other, model)  # a genuine, consistent model that was never approved
    return keys.committee.public_key


def _signature_of_another_model(model: Path, keys: Keys, other: Path) -> Path:
    copy = model.with_name("other.json")
    shutil.copyfile(other, copy)
    sign_model(copy, keys.committee.private_key, date="2026-11-27")
    shutil.copyfile(signature_path(copy), signature_path(model))
    return keys.committee.public_key


def _signed_by_another_key(model: Path, keys: Keys, other: Path) -> Path:
    sign_model(model, keys.other.private_key, date="2026-11-27")
    return keys.committee.public_key


def _relabelled_key_id(model: Path, keys: Keys, other: Path) -> Path:
    sign_model(model, keys.other.private_key, date="2026-11-27")
    _edit_signature(model, key_id=keys.committee.key_id)
    return keys.committee.public_key


def _signature_bytes_changed(model: Path, keys: Keys, other: Path) -> Path:
    document = json.loads(signature_path(model).read_text(encoding="utf-8"))
    raw = bytearray(base64.b64decode(document["signature"]))
    raw[10] ^= 0x01
    _edit_signature(model, signature=base64.b64encode(bytes(raw)).decode("ascii"))
    return keys.committee.public_key


def _content_hash_label_edited(model: Path, keys: Keys, other: Path) -> Path:
    _edit_signature(model, model_content_sha256="0" * 64)
    return keys.committee.public_key


def _truncated_signature(model: Path, keys: Keys, other: Path) -> Path:
    path = signature_path(model)
    path.write_bytes(path.read_bytes()[:120])
    return keys.committee.public_key


def _no_signature(model: Path, keys: Keys, other: Path) -> Path:
    signature_path(model).unlink()
    return keys.committee.public_key


def _private_key_for_public(model: Path, keys: Keys, other: Path) -> Path:
    return keys.committee.private_key


def _rsa_public_key(model: Path, keys: Keys, other: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    path = model.with_name("rsa.pub")
    path.write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def _not_a_key(model: Path, keys: Keys, other: Path) -> Path:
    path = model.with_name("key.pub")
    path.write_text("-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n")
    return path


def _signature_is_a_directory(model: Path, keys: Keys, other: Path) -> Path:
    signature_path(model).unlink()
    signature_path(model).mkdir()
    return keys.committee.public_key


def _signature_too_large(model: Path, keys: Keys, other: Path) -> Path:
    with signature_path(model).open("r+b") as handle:
        handle.truncate(MAX_SIGNATURE_BYTES + 1)
    return keys.committee.public_key


def _edit_signature(model: Path, **fields: Any) -> None:
    path = signature_path(model)
    document = json.loads(path.read_text(encoding="utf-8"))
    document.update(fields)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _field(**fields: Any) -> Forgery:
    def forge(model: Path, keys: Keys, other: Path) -> Path:
        _edit_signature(model, **fields)
        return keys.committee.public_key

    return forge


def _drop(name: str) -> Forgery:
    def forge(model: Path, keys: Keys, other: Path) -> Path:
        path = signature_path(model)
        document = json.loads(path.read_text(encoding="utf-8"))
        del document[name]
        path.write_text(json.dumps(document), encoding="utf-8")
        return keys.committee.public_key

    return forge


def _repeated_key(model: Path, keys: Keys, other: Path) -> Path:
    path = signature_path(model)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"signer":', '"key_id": "0123456789abcdef",\n  "signer":'))
    return keys.committee.public_key


NOT_SIGNED = r"the file is not the one signed: its SHA-256 is [0-9a-f]{16}\.\.\., .*sig was made"
MALFORMED = r"model\.json\.sig: malformed signature file: "
FORGERIES: dict[str, tuple[Forgery, str]] = {
    "points edited, hash recomputed": (_edit_points, NOT_SIGNED),
    "model replaced after signing": (_replace_model, NOT_SIGNED),
    "signature of another model": (_signature_of_another_model, NOT_SIGNED),
    "signed by another key": (
        _signed_by_another_key,
        r"signed by the key {other}, not by the key ",
    ),
    "another key relabelled": (_relabelled_key_id, r"does not verify with the key {committee}"),
    "signature bytes changed": (_signature_bytes_changed, r"forged or damaged"),
    "model hash label edited": (_content_hash_label_edited, r"records the model hash 0000"),
    "truncated signature": (_truncated_signature, r"not a dmde signature file: invalid JSON"),
    "no signature file": (_no_signature, r"no signature file .*model\.json\.sig"),
    "private key given": (_private_key_for_public, r"this is a private key, not a public key"),
    "an RSA public key": (_rsa_public_key, r"another algorithm \(RSA\)"),
    "not a key": (_not_a_key, r"key\.pub: not a PEM public key"),
    "signature is a directory": (_signature_is_a_directory, r"it is a directory, not a regular"),
    "signature too large": (_signature_too_large, r"at most 65,536 bytes \(64 KiB\)"),
    "another format": (_field(format="dmde.model"), MALFORMED + r"not a dmde signature file"),
    "version 1.0": (_field(format_version=1.0), MALFORMED + r"format_version 1\.0"),
    "version true": (_field(format_version=True), MALFORMED + r"format_version True"),
    "version 2": (_field(format_version=2), MALFORMED + r"format_version 2: this dmde reads"),
    "another algorithm": (_field(algorithm="rsa"), MALFORMED + r"algorithm 'rsa'"),
    "unknown field": (_field(comment="ok"), MALFORMED + r"unknown field 'comment'"),
    "missing field": (_drop("model_sha256"), MALFORMED + r"field model_sha256 is missing"),
    "repeated field": (_repeated_key, r"field key_id appears twice"),
    "signature not base64": (_field(signature="not base64!"), MALFORMED + r"field signature"),
    "signature too short": (
        _field(signature="AAAA"),
        MALFORMED + r"field signature: expected the base64 of 64",
    ),
    "key id in capitals": (_field(key_id="ABCDEF0123456789"), MALFORMED + r"field key_id"),
    "short file hash": (_field(model_sha256="abc"), MALFORMED + r"field model_sha256"),
    "signer a number": (_field(signer=3), MALFORMED + r"field signer"),
    "bad date": (_field(signed_on="27/11/2026"), MALFORMED + r"field signed_on"),
}


def _pattern(message: str, keys: Keys) -> str:
    return message.replace("{committee}", keys.committee.key_id).replace(
        "{other}", keys.other.key_id
    )


@pytest.mark.parametrize(("forge", "message"), FORGERIES.values(), ids=FORGERIES)
def test_every_forgery_is_refused_in_one_line(
    signed: Path, keys: Keys, other_model_file: Path, forge: Forgery, message: str
) -> None:
    key = forge(signed, keys, other_model_file)
    pattern = _pattern(message, keys)
    for read in (load_model, read_model_file):
        with pytest.raises(SignatureError, match=pattern) as caught:
            read(signed, verify_key=key)
        text = str(caught.value)
        assert isinstance(caught.value, ModelFileError) and "\n" not in text
        for pem in (keys.committee.private_key, keys.committee.public_key):
            body = pem.read_text().splitlines()[1]  # no key material in any message
            assert body not in text


def test_another_key_names_both_key_ids(signed: Path, keys: Keys) -> None:
    sign_model(signed, keys.other.private_key, date="2026-11-27")
    with pytest.raises(SignatureError) as caught:
        load_model(signed, verify_key=keys.committee.public_key)
    assert keys.other.key_id in str(caught.value) and keys.committee.key_id in str(caught.value)


def test_a_consistent_replacement_loads_unless_a_key_is_asked(
    signed: Path, keys: Keys, other_model_file: Path
) -> None:
    # What the guarded loader cannot see (a genuine model that was never approved), the
    # signature does.
    _replace_model(signed, keys, other_model_file)
    assert load_model(signed).model_sha256_ == load_model(other_model_file).model_sha256_
    with pytest.raises(SignatureError, match=NOT_SIGNED):
        load_model(signed, verify_key=keys.committee.public_key)


def test_any_byte_changed_is_refused(signed: Path, keys: Keys) -> None:
    genuine = signed.read_bytes()
    rng = np.random.default_rng(13)
    for position, flip in zip(
        rng.integers(0, len(genuine), size=200), rng.integers(1, 256, size=200), strict=True
    ):
        forged = bytearray(genuine)
        forged[position] ^= flip
        signed.write_bytes(bytes(forged))
        with pytest.raises(SignatureError, match="the file is not the one signed"):
            read_model_file(signed, verify_key=keys.committee.public_key)
    signed.write_bytes(genuine)
    assert read_model_file(signed, verify_key=keys.committee.public_key).path == str(signed)


# ------------------------------------------------------------------------ signing refusals
def test_a_model_that_does_not_load_is_not_signed(
    family_file: Path, keys: Keys, tmp_path: Path
) -> None:
    model = tmp_path / "model.json"
    shutil.copyfile(family_file, model)
    _edit_points(model, keys, family_file)
    with pytest.raises(ModelFileError, match=r"points\[0\]: expected .* it was edited"):
        sign_model(model, keys.committee.private_key)
    assert not signature_path(model).exists()


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("public", r"this is a public key: signing needs the private key"),
        ("text", r"not a PEM private key"),
        ("encrypted", r"protected by a passphrase"),
    ],
    ids=["public key", "not a key", "encrypted"],
)
def test_signing_needs_the_private_key(
    family_file: Path, keys: Keys, tmp_path: Path, key: str, message: str
) -> None:
    paths = {"public": keys.committee.public_key, "text": tmp_path / "k.key"}
    paths["text"].write_text("not a key\n")
    encrypted = serialization.load_pem_private_key(
        keys.committee.private_key.read_bytes(), password=None
    ).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    paths["encrypted"] = tmp_path / "e.key"
    paths["encrypted"].write_bytes(encrypted)
    model = tmp_path / "model.json"
    shutil.copyfile(family_file, model)
    with pytest.raises(SignatureError, match=message):
        sign_model(model, paths[key])
    assert not signature_path(model).exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"signer": ""}, r"signer must be text of 1 to 200 printable characters"),
        ({"signer": "two\nlines"}, r"signer must be"),
        ({"signer": "x" * 201}, r"signer must be"),
        ({"date": "27/11/2026"}, r"date must be a date YYYY-MM-DD; got '27/11/2026'"),
        ({"date": "2026-02-30"}, r"date must be a date YYYY-MM-DD"),
        ({"date": "20261127"}, r"date must be a date YYYY-MM-DD"),
    ],
    ids=["empty signer", "two lines", "long signer", "date order", "no such day", "no dashes"],
)
def test_signer_and_date_are_checked(
    family_file: Path, keys: Keys, options: dict[str, str], message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        sign_model(family_file, keys.committee.private_key, **options)  # type: ignore[arg-type]
    assert not signature_path(family_file).exists()


def test_a_fitted_model_has_no_bytes_to_verify(
    family: ScorecardFamily, keys: Keys, tmp_path: Path
) -> None:
    with pytest.raises(ModelFileError, match=r"a signature is checked on the file's bytes"):
        load_model(family, verify_key=keys.committee.public_key)  # type: ignore[arg-type]
    with pytest.raises(ModelFileError, match=r"expected the path of a model file"):
        score_file(family, SAMPLE, tmp_path / "s.csv", verify_key=keys.committee.public_key)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------- one read, checked and used
def test_the_model_is_read_once_and_built_from_the_bytes_checked(
    signed: Path, keys: Keys, other_model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = os.open
    reads = {"model": 0}

    def counted_open(path: Any, *args: Any, **kwargs: Any) -> int:
        reads["model"] += Path(path) == signed
        return opened(path, *args, **kwargs)

    checked = model_file_module.check_signature

    def check_then_swap(raw: bytes, **kwargs: Any) -> Any:
        result = checked(raw, **kwargs)
        shutil.copyfile(other_model_file, signed)  # replaced right after the check
        return result

    genuine = load_model(signed).model_sha256_
    monkeypatch.setattr(os, "open", counted_open)
    monkeypatch.setattr(model_file_module, "check_signature", check_then_swap)
    loaded = load_model(signed, verify_key=keys.committee.public_key)
    assert reads["model"] == 1
    assert loaded.model_sha256_ == genuine  # the signed bytes, not the file swapped in


# --------------------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def world(family_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signed model, its data and a scores file, made with the command itself."""
    folder = tmp_path_factory.mktemp("signed-world")
    shutil.copyfile(family_file, folder / "model.json")
    shutil.copyfile(SAMPLE, folder / "pop.csv")
    here = Path.cwd()
    try:
        os.chdir(folder)
        assert main(["keygen", "--out", "committee"]) == 0
        assert main(["keygen", "--out", "other"]) == 0
        assert main(["sign", "--model", "model.json", "--key", "committee.key"]) == 0
        score = ["score", "--model", "model.json", "--input", "pop.csv", "--out", "scores.csv"]
        assert main([*score, "--quiet", "--verify-key", "committee.pub"]) == 0
    finally:
        os.chdir(here)
    return folder


def test_keygen_and_sign_say_what_they_wrote(
    tmp_path: Path, family_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(family_file, "model.json")
    assert main(["keygen", "--out", "k"]) == 0
    said = capsys.readouterr().out
    assert "wrote k.key (the private key" in said and "wrote k.pub" in said
    signer = ["--signer", "Ethics committee, 2026-11-27"]
    assert main(["sign", "--model", "model.json", "--key", "k.key", *signer]) == 0
    said = capsys.readouterr().out
    digest = json.loads(Path("model.json").read_text(encoding="utf-8"))["sha256"]
    assert f"model hash   {digest}" in said and "wrote model.json.sig" in said
    assert read_signature("model.json.sig").signer == "Ethics committee, 2026-11-27"


def test_score_with_the_key_records_the_signed_model(world: Path) -> None:
    manifest = json.loads((world / "scores.csv.manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"]["sha256"] == load_model(world / "model.json").model_sha256_


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        FORGERIES[k]
        for k in (
            "points edited, hash recomputed",
            "model replaced after signing",
            "signed by another key",
            "no signature file",
            "private key given",
            "truncated signature",
        )
    ],
    ids=[
        "points edited",
        "model replaced",
        "another key",
        "no signature",
        "private key",
        "truncated",
    ],
)
def test_score_refuses_a_forged_model_in_one_line_and_writes_nothing(
    world: Path,
    family_file: Path,
    other_model_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    forge: Forgery,
    message: str,
) -> None:
    for name in ("model.json", "model.json.sig", "pop.csv"):
        shutil.copyfile(world / name, tmp_path / name)
    keys = Keys(
        KeyPair(world / "committee.key", world / "committee.pub", _key_id(world, "committee")),
        KeyPair(world / "other.key", world / "other.pub", _key_id(world, "other")),
    )
    key = forge(tmp_path / "model.json", keys, other_model_file)
    monkeypatch.chdir(tmp_path)
    before = sorted((p.name, p.stat().st_size) for p in tmp_path.iterdir())
    argv = ["score", "--model", "model.json", "--input", "pop.csv", "--out", "s.parquet"]
    assert main([*argv, "--quiet", "--verify-key", str(key)]) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dmde score: error: "), err
    pattern = _pattern(message, keys)
    assert re.search(pattern, lines[0]), lines[0]
    assert sorted((p.name, p.stat().st_size) for p in tmp_path.iterdir()) == before


def _key_id(world: Path, name: str) -> str:
    from dmde.model.signature_file import key_id, read_public_key

    return key_id(read_public_key(world / f"{name}.pub"))


def test_every_command_that_reads_a_model_checks_its_signature(
    world: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(world)
    model = ["--model", "model.json"]
    key, other = ["--verify-key", "committee.pub"], ["--verify-key", "other.pub"]
    dossier = str(pd.read_csv("pop.csv", usecols=["dossier_id"])["dossier_id"].iloc[0])
    commands = {
        "explain": ["explain", *model, "--input", "pop.csv", "--dossier", dossier],
        "document": ["document", *model, "--n-boot", "20"],
        "diff": ["diff", "model.json", "model.json"],
        "audit": [
            *("audit", *model, "--scores", "scores.csv", "--population", "pop.csv"),
            *("--budget", "100", "--n-boot", "20", "--groups", "gender"),
        ],
    }
    outs = {"explain": "n.html", "document": "doc", "diff": "d.html", "audit": "a.html"}
    for name, argv in commands.items():
        assert main([*argv, "--out", f"signed-{outs[name]}", *key]) == 0, name
        capsys.readouterr()
        assert main([*argv, "--out", f"other-{outs[name]}", *other]) == 1, name
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "signed by the key" in err, (name, err)
        assert not (world / f"other-{outs[name]}").exists()
    # The notice of a verified model is the notice of the same model read without a key, and
    # names the model's hash.
    assert main([*commands["explain"], "--out", "plain-n.html"]) == 0
    notice = (world / "signed-n.html").read_text(encoding="utf-8")
    assert notice == (world / "plain-n.html").read_text(encoding="utf-8")
    assert load_model(world / "model.json").model_sha256_[:12] in notice


def test_sign_refuses_a_forged_model_and_writes_nothing(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    model = tmp_path / "model.json"
    shutil.copyfile(world / "model.json", model)
    document = json.loads(model.read_text(encoding="utf-8"))
    document["segments"]["prefilled"]["intercept_points"] += 7.0
    document["sha256"] = content_hash(document)
    model.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    key = str(world / "committee.key")
    assert main(["sign", "--model", "model.json", "--key", key]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "intercept_points" in err
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]
