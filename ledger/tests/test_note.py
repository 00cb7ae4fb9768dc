"""ledger.note: C2SP signed notes and checkpoints, against published vectors and tampering."""

import base64

import pytest

from ledger.note import (
    Checkpoint,
    NoteError,
    checkpoint_text,
    generate_signer,
    key_id,
    open_note,
    parse_checkpoint,
    sign_note,
    verifier_for,
)

# golang.org/x/mod/sumdb/note documentation and note_test.go.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

# A real checkpoint of the Go checksum database (sum.golang.org), with Go's built-in key.
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_TEXT = "go.sum database tree\n13485\n/ZWur4obeiqK+ASdnPK+/Rmz6LPQMUeSmHh0+UkL54Y=\n"
SUMDB_NOTE = (
    SUMDB_TEXT
    + "\n— sum.golang.org Az3grnQReYTvpCrRxT+w50vixbqBlB/aPS8bL8f8KW4HHP+UjLSXOJgCh4f54n8hO6lrESglzyRXMXnhaWzaeY3zqw8=\n"
)


@pytest.fixture(scope="module")
def keys():
    return generate_signer("zhifa.example/ledger")


@pytest.fixture(scope="module")
def other_keys():
    return generate_signer("witness.example/w1")


def test_go_vector():
    assert verifier_for(GO_SKEY) == GO_VKEY
    assert sign_note(GO_TEXT, GO_SKEY) == GO_NOTE  # Ed25519 is deterministic: byte for byte
    assert open_note(GO_NOTE, GO_VKEY) == GO_TEXT
    with pytest.raises(NoteError, match="签名无效"):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), GO_VKEY)


def test_sumdb_checkpoint():
    assert open_note(SUMDB_NOTE, SUMDB_VKEY) == SUMDB_TEXT
    cp = parse_checkpoint(open_note(SUMDB_NOTE, SUMDB_VKEY))
    assert (cp.origin, cp.size, cp.extensions) == ("go.sum database tree", 13485, ())
    assert cp.root == base64.b64decode("/ZWur4obeiqK+ASdnPK+/Rmz6LPQMUeSmHh0+UkL54Y=")


def test_verifier_key_manglings_rejected():
    """As in Go's TestNewVerifier: no proper substring and no single changed byte is accepted."""
    b = GO_VKEY.encode()
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(NoteError):
                    open_note(GO_NOTE, b[i:j].decode())
    for i in range(len(b)):
        mangled = b[:i] + bytes([b[i] + 1]) + b[i + 1 :]
        with pytest.raises(NoteError):
            open_note(GO_NOTE, mangled.decode())
    with pytest.raises(NoteError):  # wrong key length, with a matching key ID
        open_note(GO_NOTE, "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(NoteError):  # unknown algorithm, with a matching key ID
        open_note(GO_NOTE, "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_key_strings(keys):
    signer, verifier = keys
    assert verifier_for(signer) == verifier
    name, kid, data = verifier.split("+", 2)
    assert name == "zhifa.example/ledger"
    raw = base64.b64decode(data)
    assert raw[0] == 1 and len(raw) == 33
    assert key_id(name, raw[1:]).hex() == kid
    assert signer.startswith(f"PRIVATE+KEY+{name}+{kid}+")
    for bad in ("", "has space", "a+b", "tab\there", "nl\n"):
        with pytest.raises(NoteError):
            generate_signer(bad)
    for bad in (verifier, "PRIVATE+KEY+x", signer.replace("+A", "+B", 1)):
        with pytest.raises(NoteError):
            sign_note("x\n", bad)


def test_round_trip(keys):
    signer, verifier = keys
    for text in ("hello\n", "\n", "第一行\n\n第三行，有空行\n", "a\n\n\n"):
        note = sign_note(text, signer)
        assert note.startswith(text + "\n— zhifa.example/ledger ")
        assert open_note(note, verifier) == text


def test_tampering_fails(keys, other_keys):
    signer, verifier = keys
    text = "zhifa.example/ledger\n42\n" + base64.b64encode(bytes(32)).decode() + "\n"
    note = sign_note(text, signer)
    for i, c in enumerate(text):
        if c != "\n":
            changed = note[:i] + ("x" if c != "x" else "y") + note[i + 1 :]
            with pytest.raises(NoteError):
                open_note(changed, verifier)
    line = note.rsplit("\n", 2)[-2]
    prefix, b64 = line.rsplit(" ", 1)
    blob = base64.b64decode(b64)
    for i in range(len(blob)):
        flipped = blob[:i] + bytes([blob[i] ^ 0x40]) + blob[i + 1 :]
        changed = note.replace(line, f"{prefix} {base64.b64encode(flipped).decode()}")
        with pytest.raises(NoteError) as err:
            open_note(changed, verifier)
        # A changed key ID makes it another key's signature: then none of ours is left.
        assert ("签名无效" if i >= 4 else "没有验证密钥") in str(err.value)
    with pytest.raises(NoteError, match="没有验证密钥"):
        open_note(note, other_keys[1])
    truncated = note.replace(line, f"{prefix} {base64.b64encode(blob[:40]).decode()}")
    with pytest.raises(NoteError, match="签名无效"):
        open_note(truncated, verifier)


def test_two_signers(keys, other_keys):
    text = "cosigned\n"
    note = sign_note(text, keys[0], other_keys[0])
    assert note.count("\n— ") == 2
    assert open_note(note, keys[1]) == text
    assert open_note(note, other_keys[1]) == text
    # Unknown signatures are ignored, a bad one by the key in use is not.
    lines = note.split("\n")
    bad_other = lines[-2][:-6] + ("AAAAA=" if lines[-2][-6:] != "AAAAA=" else "BBBBB=")
    tampered = "\n".join([*lines[:-2], bad_other, ""])
    assert open_note(tampered, keys[1]) == text
    with pytest.raises(NoteError):
        open_note(tampered, other_keys[1])


def test_malformed_notes(keys):
    signer, verifier = keys
    note = sign_note("text\n", signer)
    sig_line = note.split("\n")[2]
    bad = [
        "text\n",  # no signature block
        "text\n\n",  # empty signature block
        note[:-1],  # no final newline
        note.replace("— ", "- "),  # not an em dash
        note.replace("— ", "—"),
        note + "junk\n",  # a line that is not a signature
        note.replace(sig_line, sig_line + "!"),  # bad base64
        note.replace(sig_line, "— zhifa.example/ledger AAAA"),  # too short
        note.replace(sig_line, "— a+b " + sig_line.split(" ")[-1]),  # bad name
        "te\x00xt\n\n" + sig_line + "\n",  # control character
        "text\r\n\n" + sig_line + "\n",
        "text\n\n" + (sig_line + "\n") * 101,  # too many signatures
        "text\ud800\n\n" + sig_line + "\n",  # not encodable as UTF-8
    ]
    for n in bad:
        with pytest.raises(NoteError):
            open_note(n, verifier)
    for text in ("no newline", "", "a\tb\n"):
        with pytest.raises(NoteError):
            sign_note(text, signer)
    with pytest.raises(NoteError):
        open_note(note, "not a key")


def test_checkpoint_round_trip(keys):
    root = bytes(range(32))
    text = checkpoint_text("zhifa.example/ledger", 300, root)
    assert text == "zhifa.example/ledger\n300\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    assert parse_checkpoint(text) == Checkpoint("zhifa.example/ledger", 300, root, ())
    ext = checkpoint_text("o", 0, root, ["ext one", "ext two"])
    assert parse_checkpoint(ext) == Checkpoint("o", 0, root, ("ext one", "ext two"))
    assert parse_checkpoint(open_note(sign_note(text, keys[0]), keys[1])).size == 300
    assert parse_checkpoint(text, origin="zhifa.example/ledger").size == 300
    with pytest.raises(NoteError, match="来源不符"):
        parse_checkpoint(text, origin="other.example/log")


def test_checkpoint_errors():
    root = base64.b64encode(bytes(32)).decode()
    bad = [
        f"o\n1\n{root}",  # no final newline
        "o\n1\n",  # missing root
        f"\n1\n{root}\n",  # empty origin
        f"o\n01\n{root}\n",  # leading zero
        f"o\n-1\n{root}\n",
        f"o\n+1\n{root}\n",
        f"o\n1.0\n{root}\n",
        f"o\n١\n{root}\n",  # a non-ASCII digit
        f"o\n{1 << 63}\n{root}\n",  # too large
        "o\n1\nnot base64\n",
        f"o\n1\n{root[:-2]}\n",  # bad padding
        "o\n1\n" + base64.b64encode(bytes(31)).decode() + "\n",  # 31 bytes
        f"o\n1\n{root}\n\n",  # empty extension line
        f"o\n1\n{root}\next\n\nmore\n",
        f"o\x01\n1\n{root}\n",
    ]
    for text in bad:
        with pytest.raises(NoteError):
            parse_checkpoint(text)
    assert parse_checkpoint(f"o\n0\n{root}\n").size == 0
    for args in (
        ("", 1, bytes(32)),
        ("o", -1, bytes(32)),
        ("o", True, bytes(32)),
        ("o", 1, bytes(31)),
        ("a\nb", 1, bytes(32)),
    ):
        with pytest.raises(NoteError):
            checkpoint_text(*args)
    for ext in (["ok", ""], ["a\nb"], "abc"):
        with pytest.raises(NoteError):
            checkpoint_text("o", 1, bytes(32), ext)
