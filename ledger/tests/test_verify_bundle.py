"""tools/verify_bundle.py: its own Ed25519 against RFC 8032, and real bundles built with
ledger.merkle and ledger.note, verified in-process and as a script without third-party packages."""

import ast
import base64
import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import merkle
from ledger.note import checkpoint_text, generate_signer, sign_note

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "verify_bundle.py"
_spec = importlib.util.spec_from_file_location("verify_bundle", SCRIPT)
vb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vb)

ORIGIN = "zhifa.example/ledger"
SIZE = 300
INDEX = 12

# RFC 8032 §7.1: (secret key, public key, message, signature).
RFC8032 = {
    "TEST 1": (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    "TEST 2": (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    "TEST 3": (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
    "TEST 1024": (
        "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
        "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
        "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1"
        "e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
        "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a"
        "7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
        "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10"
        "3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
        "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d"
        "502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
        "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b"
        "eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
        "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b"
        "e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
        "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d"
        "cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
        "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7"
        "984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
        "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09"
        "43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
        "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161"
        "0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
        "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca"
        "c60c905c15fc910840b94c00a0b9d0",
        "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03",
    ),
    "TEST SHA(abc)": (
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    ),
}


@pytest.mark.parametrize("name", list(RFC8032))
def test_rfc8032_vectors(name):
    secret, public, message, signature = (bytes.fromhex(x) for x in RFC8032[name])
    # The transcription is right: the reference implementation reproduces both.
    key = Ed25519PrivateKey.from_private_bytes(secret)
    assert key.public_key().public_bytes_raw() == public
    assert key.sign(message) == signature
    assert vb.ed25519_verify(public, message, signature)
    assert not vb.ed25519_verify(public, message + b"\x00", signature)
    for i in (0, 31, 32, 63):
        assert not vb.ed25519_verify(
            public, message, signature[:i] + bytes([signature[i] ^ 1]) + signature[i + 1 :]
        )
    assert not vb.ed25519_verify(
        bytes.fromhex(RFC8032["TEST 2" if name == "TEST 1" else "TEST 1"][1]), message, signature
    )
    # S + L is the same scalar mod L but not canonical: rejected (RFC 8032 §5.1.7).
    s = int.from_bytes(signature[32:], "little")
    assert not vb.ed25519_verify(public, message, signature[:32] + (s + vb._L).to_bytes(32, "little"))
    assert not vb.ed25519_verify(public[:31], message, signature)


def test_ed25519_constants_and_decoding():
    # RFC 8032 §5.1: the base point and group order.
    assert vb._B[:2] == (
        15112221349535400772501151409588531511454012693041857206046113283949847762202,
        46316835694926478169428394003475163141307993866256225615783033603165251855960,
    )
    assert vb._L == 2**252 + 27742317777372353535851937790883648493
    assert vb._same_point(vb._mul(vb._L, vb._B), (0, 1, 1, 0))
    assert vb._decode_point(vb._P.to_bytes(32, "little")) is None  # y >= p: not canonical
    assert vb._decode_point((1).to_bytes(32, "little")) == (0, 1, 1, 0)
    assert vb._decode_point((1 | 1 << 255).to_bytes(32, "little")) is None  # x = 0 with the sign bit set
    assert any(vb._decode_point(y.to_bytes(32, "little")) is None for y in range(2, 20))  # not on the curve
    for _ in range(5):  # random keys and messages agree with the reference implementation
        key = Ed25519PrivateKey.generate()
        message = key.public_key().public_bytes_raw() * 3
        assert vb.ed25519_verify(key.public_key().public_bytes_raw(), message, key.sign(message))


def test_script_notes_and_merkle_agree_with_ledger():
    from ledger.tests.test_note import GO_NOTE, GO_TEXT, GO_VKEY, SUMDB_NOTE, SUMDB_TEXT, SUMDB_VKEY

    assert vb.open_note(GO_NOTE, GO_VKEY) == GO_TEXT
    assert vb.open_note(SUMDB_NOTE, SUMDB_VKEY) == SUMDB_TEXT
    assert vb.parse_checkpoint(SUMDB_TEXT)[:2] == ("go.sum database tree", 13485)
    with pytest.raises(vb.Invalid, match="签名无效"):
        vb.open_note(GO_NOTE.replace("problem", "Problem"), GO_VKEY)
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(40)]
    nodes = {}
    for i, leaf in enumerate(leaves):
        for level, j, node in merkle.new_nodes(i, leaf, lambda level, j: nodes[(level, j)]):
            nodes[(level, j)] = node
    get = nodes.__getitem__
    for size in range(1, 41):
        root = merkle.tree_root(size, lambda level, j: get((level, j)))
        for index in range(size):
            proof = merkle.inclusion_proof(index, size, lambda level, j: get((level, j)))
            assert vb.verify_inclusion(leaves[index], index, size, proof, root)
            if proof:
                assert not vb.verify_inclusion(leaves[index], index, size, proof[:-1], root)
        for old in range(size + 1):
            proof = merkle.consistency_proof(old, size, lambda level, j: get((level, j)))
            old_root = merkle.tree_root(old, lambda level, j: get((level, j)))
            assert vb.verify_consistency(old, size, old_root, root, proof)
            if old not in (0, size):
                assert not vb.verify_consistency(old, size, root, root, proof)


def test_script_imports_only_the_standard_library():
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add((node.module or "").split(".")[0])
    assert modules, "no imports found"
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}, modules


# --- Real bundles ---


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Ledger:
    def __init__(self, blob: bytes):
        self.signer, self.vkey = generate_signer(ORIGIN)
        self.entries = []
        self.nodes: dict[tuple[int, int], bytes] = {}
        for i in range(SIZE):
            data = {"决定书编号": f"X罚〔2025〕{i}号"}
            if i == INDEX:
                data["sha256"] = hashlib.sha256(blob).hexdigest()
            entry = {
                "v": 1,
                "index": i,
                "kind": "penalty.decided",
                "time": "2025-03-01T08:00:00.000000+00:00",
                "subject": f"cases.case:{i}",
                "data": data,
            }
            if "sha256" in data:
                entry["sha256"] = data["sha256"]
            self.entries.append(_canonical(entry))
            for level, j, node in merkle.new_nodes(i, merkle.leaf_hash(self.entries[-1]), self.get):
                self.nodes[(level, j)] = node

    def get(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def checkpoint(self, size: int, signer: str | None = None) -> str:
        return sign_note(
            checkpoint_text(ORIGIN, size, merkle.tree_root(size, self.get)), signer or self.signer
        )

    def bundle(self, index: int = INDEX, size: int = SIZE, olds=(100, 13)) -> dict:
        return {
            "format": "zhifa-proof-bundle/1",
            "verifier_key": self.vkey,
            "checkpoint": self.checkpoint(size),
            "leaf": {"index": index, "entry": _b64(self.entries[index])},
            "inclusion_proof": [_b64(h) for h in merkle.inclusion_proof(index, size, self.get)],
            "consistency": [
                {
                    "old_checkpoint": self.checkpoint(old),
                    "proof": [_b64(h) for h in merkle.consistency_proof(old, size, self.get)],
                }
                for old in olds
            ],
        }


BLOB = "行政处罚决定书（示例）\n".encode() * 50


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return Ledger(BLOB)


@pytest.fixture
def blob(tmp_path) -> Path:
    path = tmp_path / "决定书.pdf"
    path.write_bytes(BLOB)
    return path


def _run(args, *, isolated=False, cwd=None):
    flags = ["-I", "-S"] if isolated else []
    return subprocess.run(
        [sys.executable, *flags, "-X", "utf8", str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        timeout=60,
    )


def _flip_b64(text: str, i: int) -> str:
    data = base64.b64decode(text)
    return _b64(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :])


def test_valid_bundles(ledger, blob):
    for index, size, olds in (
        (INDEX, SIZE, (100, 13)),
        (0, 1, ()),
        (SIZE - 1, SIZE, (SIZE - 1, 1, 256)),
        (255, 256, (128,)),
        (7, 200, (0, 8, 200)),
    ):
        assert vb.verify_bundle(ledger.bundle(index, size, olds)) == [], (index, size, olds)
    bundle = ledger.bundle()
    assert vb.verify_bundle(bundle, blob) == []
    assert vb.verify_bundle(bundle, blob, expected_key=ledger.vkey) == []
    del bundle["consistency"]
    assert vb.verify_bundle(bundle) == []
    report = vb.check_bundle(ledger.bundle(), blob)
    kinds = [kind for kind, _ in report]
    assert kinds.count("ok") == 5 and "fail" not in kinds  # checkpoint, inclusion, 2 × consistency, file


def test_script_runs(ledger, blob, tmp_path):
    path = tmp_path / "证明包.json"
    path.write_text(json.dumps(ledger.bundle(), ensure_ascii=False), encoding="utf-8")
    result = _run([path, "--file", blob])
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "✔ 检查点签名有效" in out and f"✔ 第 {INDEX} 号记录包含在该检查点中" in out
    assert "✔ 与较早的检查点（100 条记录）一致" in out and "的 SHA-256 与记录一致" in out
    assert out.rstrip().endswith("结论：证明有效") and "✘" not in out


def test_script_runs_without_third_party_packages(ledger, blob, tmp_path):
    probe = subprocess.run(
        [sys.executable, "-I", "-S", "-c", "import cryptography"], capture_output=True, timeout=60
    )
    assert probe.returncode != 0, "cryptography should not be importable in the isolated interpreter"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(ledger.bundle()), encoding="utf-8")
    result = _run([path, "--file", blob], isolated=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("结论：证明有效")
    tampered = ledger.bundle()
    tampered["leaf"]["entry"] = _flip_b64(tampered["leaf"]["entry"], 40)
    path.write_text(json.dumps(tampered), encoding="utf-8")
    result = _run([path], isolated=True, cwd=tmp_path)
    assert result.returncode == 1
    assert "✘ 第 12 号记录的包含证明不成立" in result.stdout and result.stdout.rstrip().endswith(
        "结论：证明无效"
    )


def test_exit_codes_for_unreadable_input(ledger, tmp_path, blob):
    missing = _run([tmp_path / "none.json"])
    assert missing.returncode == 2 and "无法读取输入" in missing.stdout
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert _run([bad]).returncode == 2
    bad.write_text("[1, 2]", encoding="utf-8")
    assert _run([bad]).returncode == 2
    good = tmp_path / "good.json"
    good.write_text(json.dumps(ledger.bundle()), encoding="utf-8")
    assert _run([good, "--file", tmp_path / "none.pdf"]).returncode == 2
    wrong_key = _run([good, "--key", generate_signer(ORIGIN)[1]])
    assert wrong_key.returncode == 1 and "✘ 证明包中的验证密钥与指定的验证密钥不同" in wrong_key.stdout
    assert _run([good, "--key", ledger.vkey]).returncode == 0


def _problems(bundle, file_path=None) -> str:
    problems = vb.verify_bundle(bundle, file_path)
    assert problems, "tampering went unnoticed"
    return "\n".join(problems)


def test_flipped_entry_byte(ledger):
    entry_len = len(ledger.entries[INDEX])
    for i in range(entry_len):
        bundle = ledger.bundle(olds=())
        bundle["leaf"]["entry"] = _flip_b64(bundle["leaf"]["entry"], i)
        assert "第 12 号记录的包含证明不成立" in _problems(bundle)


def test_flipped_proof_byte(ledger):
    proof_len = len(ledger.bundle()["inclusion_proof"])
    assert proof_len == 9
    for j in range(proof_len):
        for i in range(32):
            bundle = ledger.bundle(olds=())
            bundle["inclusion_proof"][j] = _flip_b64(bundle["inclusion_proof"][j], i)
            assert "包含证明不成立" in _problems(bundle)
    bundle = ledger.bundle(olds=())
    bundle["inclusion_proof"].pop()
    assert "包含证明不成立" in _problems(bundle)
    bundle["inclusion_proof"].append("not base64")
    assert "包含证明不是有效的 Base64 编码" in _problems(bundle)


def _with_root(note: str, change) -> str:
    text, sigs = note.split("\n\n")
    lines = text.split("\n")
    lines[2] = change(lines[2])
    return "\n".join(lines) + "\n\n" + sigs


def test_flipped_checkpoint_root_byte(ledger):
    for i in range(32):
        bundle = ledger.bundle(olds=())
        bundle["checkpoint"] = _with_root(bundle["checkpoint"], lambda root, i=i: _flip_b64(root, i))
        assert "检查点签名未通过核验：签名无效" in _problems(bundle)
    bundle = ledger.bundle(olds=())
    bundle["checkpoint"] = bundle["checkpoint"].replace(f"\n{SIZE}\n", f"\n{SIZE + 1}\n")
    assert "签名无效" in _problems(bundle)


def test_flipped_signature_byte(ledger):
    for i in range(68):
        bundle = ledger.bundle(olds=())
        line = bundle["checkpoint"].rstrip("\n").rsplit("\n", 1)[1]
        prefix, sig = line.rsplit(" ", 1)
        bundle["checkpoint"] = bundle["checkpoint"].replace(line, f"{prefix} {_flip_b64(sig, i)}")
        problems = _problems(bundle)
        # The first four bytes are the key ID: changed, the signature is some other key's.
        assert ("没有验证密钥" if i < 4 else "签名无效") in problems, (i, problems)
    bundle = ledger.bundle(olds=())
    other_signer, _ = generate_signer(ORIGIN)
    bundle["checkpoint"] = ledger.checkpoint(SIZE, other_signer)
    assert f"没有验证密钥 {ORIGIN} 的签名" in _problems(bundle)


def test_changed_index(ledger):
    for index in (INDEX - 1, INDEX + 1, 0, SIZE - 1):
        bundle = ledger.bundle(olds=())
        bundle["leaf"]["index"] = index
        problems = _problems(bundle)
        assert f"第 {index} 号记录的包含证明不成立" in problems
        assert f"记录原文中的序号（{INDEX}）与证明包中的序号（{index}）不一致" in problems
    for index in (SIZE, 10**6):
        bundle = ledger.bundle(olds=())
        bundle["leaf"]["index"] = index
        assert "超出检查点的范围" in _problems(bundle)
    for index in (-1, "12", True, None, 12.0):
        bundle = ledger.bundle(olds=())
        bundle["leaf"]["index"] = index
        assert "记录序号缺失或无效" in _problems(bundle)


def test_flipped_file_byte(ledger, blob):
    bundle = ledger.bundle(olds=())
    for i in (0, 1, len(BLOB) // 2, len(BLOB) - 1):
        data = bytearray(BLOB)
        data[i] ^= 1
        blob.write_bytes(bytes(data))
        assert "不是登记时的那份文件" in _problems(bundle, blob)
    blob.write_bytes(BLOB + b"\n")
    assert "不是登记时的那份文件" in _problems(bundle, blob)
    blob.write_bytes(BLOB)
    assert vb.verify_bundle(bundle, blob) == []
    other = ledger.bundle(index=INDEX + 1, olds=())
    assert "无法核对所给文件" in _problems(other, blob)


def test_tampered_consistency(ledger):
    bundle = ledger.bundle(olds=(100,))
    bundle["consistency"][0]["proof"][0] = _flip_b64(bundle["consistency"][0]["proof"][0], 3)
    assert "与较早的检查点（100 条记录）不一致" in _problems(bundle)
    bundle = ledger.bundle(olds=(100,))
    bundle["consistency"][0]["old_checkpoint"] = _with_root(
        bundle["consistency"][0]["old_checkpoint"], lambda root: _flip_b64(root, 0)
    )
    assert "第 1 个较早检查点的签名未通过核验" in _problems(bundle)
    bundle = ledger.bundle(olds=(100,))
    bundle["consistency"][0]["old_checkpoint"] = ledger.checkpoint(100, generate_signer(ORIGIN)[0])
    assert "没有验证密钥" in _problems(bundle)
    bundle = ledger.bundle(olds=(100,))
    bundle["consistency"][0]["old_checkpoint"] = ledger.checkpoint(99)
    assert "不一致" in _problems(bundle)
    bundle = ledger.bundle(olds=(100,))
    bundle["consistency"] = {"old_checkpoint": "x"}
    assert "一致性证明格式错误" in _problems(bundle)


def test_malformed_bundles(ledger):
    good = ledger.bundle(olds=())
    cases = [
        ({**good, "format": "zhifa-proof-bundle/2"}, "不支持的证明包格式"),
        ({**good, "verifier_key": "nonsense"}, "验证密钥格式错误"),
        ({**good, "verifier_key": ledger.vkey[:-2] + "AA"}, "验证密钥"),
        ({**good, "checkpoint": 5}, "检查点签名未通过核验"),
        ({**good, "leaf": "x"}, "记录序号缺失或无效"),
        ({**good, "leaf": {"index": INDEX}}, "记录原文不是有效的 Base64 编码"),
        ({**good, "inclusion_proof": "AAAA"}, "包含证明格式错误"),
        ({**good, "inclusion_proof": [_b64(bytes(31))] * 9}, "长度不是 32 字节"),
    ]
    for bundle, expected in cases:
        assert expected in _problems(bundle), expected
    assert vb.verify_bundle([]) == ["证明包不是 JSON 对象"]
