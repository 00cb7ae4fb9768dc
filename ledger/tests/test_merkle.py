"""ledger.merkle against the RFC 6962 test vectors, a brute-force reference and a large fake tree."""

import hashlib
import math
import random

import pytest

from ledger import merkle

MAX = 70

# RFC 6962 test data (certificate-transparency reference implementations): leaves and the
# roots of the trees of their first 1..8 leaves.
CT_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
h = bytes.fromhex


# --- brute-force reference (RFC 9162 §2.1.3.1, §2.1.4.1, recursion over the leaf list) ---


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = merkle._split(n)
    if m < k:
        return [*ref_path(m, leaves[:k]), merkle.root_hash(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), merkle.root_hash(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [merkle.root_hash(leaves)]
    k = merkle._split(n)
    if m <= k:
        return [*ref_subproof(m, leaves[:k], whole), merkle.root_hash(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), merkle.root_hash(leaves[:k])]


def ref_consistency(m: int, leaves: list[bytes]) -> list[bytes]:
    return [] if m in (0, len(leaves)) else ref_subproof(m, leaves, True)


class Store:
    """Complete subtrees built with new_nodes, as the database keeps them; counts reads."""

    def __init__(self):
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0
        self.calls = 0

    def get(self, level: int, index: int) -> bytes:
        self.calls += 1
        assert (index + 1) << level <= self.size, f"asked for incomplete node {level}/{index}"
        return self.nodes[(level, index)]

    def frontier(self) -> dict[tuple[int, int], bytes]:
        edge, start = {}, 0
        for level in range(self.size.bit_length() - 1, -1, -1):
            if self.size >> level & 1:
                edge[(level, start >> level)] = self.nodes[(level, start >> level)]
                start += 1 << level
        return edge

    def append(self, leaf: bytes) -> None:
        # Like the service: the getter knows only the right edge of the current tree.
        edge = self.frontier()
        for level, index, node in merkle.new_nodes(self.size, leaf, lambda level, i: edge[(level, i)]):
            assert (level, index) not in self.nodes
            self.nodes[(level, index)] = node
        self.size += 1


@pytest.fixture(scope="module")
def leaves() -> list[bytes]:
    return [merkle.leaf_hash(f"event {i}".encode()) for i in range(MAX)]


@pytest.fixture(scope="module")
def store(leaves) -> Store:
    s = Store()
    for leaf in leaves:
        s.append(leaf)
    return s


def test_hashes():
    assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.root_hash([]) == hashlib.sha256(b"").digest()
    assert merkle.leaf_hash(b"") == h(CT_ROOTS[0])
    assert merkle.node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()


def test_rfc6962_vectors():
    leaves = [merkle.leaf_hash(h(x)) for x in CT_LEAVES]
    for n in range(1, 9):
        assert merkle.root_hash(leaves[:n]).hex() == CT_ROOTS[n - 1]
    s = Store()
    for leaf in leaves:
        s.append(leaf)
    for n in range(1, 9):
        s.size = n  # the store holds more; the getter checks we only read complete nodes of n leaves
        assert merkle.tree_root(n, s.get).hex() == CT_ROOTS[n - 1]
    s.size = 8
    path = [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        CT_ROOTS[3],
    ]
    assert merkle.inclusion_proof(5, 8, s.get) == [h(x) for x in path]
    assert merkle.verify_inclusion(leaves[5], 5, 8, [h(x) for x in path], h(CT_ROOTS[7]))
    assert merkle.verify_inclusion(leaves[2], 2, 3, [h(CT_ROOTS[1])], h(CT_ROOTS[2]))
    proof = [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        CT_ROOTS[3],
    ]
    assert merkle.consistency_proof(6, 8, s.get) == [h(x) for x in proof]
    assert merkle.verify_consistency(6, 8, h(CT_ROOTS[5]), h(CT_ROOTS[7]), [h(x) for x in proof])
    assert not merkle.verify_consistency(6, 8, h(CT_ROOTS[4]), h(CT_ROOTS[7]), [h(x) for x in proof])
    proof = [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]
    s.size = 5
    assert merkle.consistency_proof(2, 5, s.get) == [h(x) for x in proof]
    assert merkle.verify_consistency(2, 5, h(CT_ROOTS[1]), h(CT_ROOTS[4]), [h(x) for x in proof])


def test_stored_nodes_are_exactly_the_complete_subtrees(store, leaves):
    expected = {
        (level, i): merkle.root_hash(leaves[i << level : (i + 1) << level])
        for level in range(MAX.bit_length())
        for i in range(MAX >> level)
    }
    assert store.nodes == expected


def test_new_nodes():
    got = merkle.new_nodes(7, b"\x07" * 32, lambda level, i: bytes([level]) * 32)
    assert [(level, i) for level, i, _ in got] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert got[3][2] == merkle.node_hash(
        b"\x02" * 32, merkle.node_hash(b"\x01" * 32, merkle.node_hash(b"\x00" * 32, b"\x07" * 32))
    )
    assert merkle.new_nodes(8, b"\x08" * 32, lambda level, i: pytest.fail("no read for an even index")) == [
        (0, 8, b"\x08" * 32)
    ]
    with pytest.raises(ValueError):
        merkle.new_nodes(0, b"short", lambda level, i: b"")


def test_roots_and_proofs_match_reference(store, leaves):
    for size in range(0, MAX + 1):
        store.size = size
        root = merkle.root_hash(leaves[:size])
        assert merkle.tree_root(size, store.get) == root
        for index in range(size):
            proof = merkle.inclusion_proof(index, size, store.get)
            assert proof == ref_path(index, leaves[:size])
            assert merkle.verify_inclusion(leaves[index], index, size, proof, root)
        for old in range(0, size + 1):
            proof = merkle.consistency_proof(old, size, store.get)
            assert proof == ref_consistency(old, leaves[:size]), (old, size)
            assert merkle.verify_consistency(old, size, merkle.root_hash(leaves[:old]), root, proof)
    store.size = MAX


def _flip(data: bytes, i: int = 0) -> bytes:
    return data[:i] + bytes([data[i] ^ 1]) + data[i + 1 :]


def test_tampered_inclusion_fails(store, leaves):
    # (A proof alone does not bind the tree size: neighbouring sizes can share the proof shape.
    # The signed checkpoint binds size and root together.)
    for size in range(1, MAX + 1):
        root = merkle.root_hash(leaves[:size])
        for index in range(size):
            proof = merkle.inclusion_proof(index, size, store.get)
            leaf = leaves[index]
            assert not merkle.verify_inclusion(_flip(leaf), index, size, proof, root)
            assert not merkle.verify_inclusion(leaf, index, size, proof, _flip(root, 31))
            for j in range(len(proof)):
                bad = [*proof[:j], _flip(proof[j], j), *proof[j + 1 :]]
                assert not merkle.verify_inclusion(leaf, index, size, bad, root)
            for other in {index - 1, index + 1, size - 1 - index} - {index}:
                if 0 <= other < size:
                    assert not merkle.verify_inclusion(leaf, other, size, proof, root)
            assert not merkle.verify_inclusion(leaf, index, size, [*proof, leaf], root)
            if proof:
                assert not merkle.verify_inclusion(leaf, index, size, proof[:-1], root)
                assert not merkle.verify_inclusion(leaf, index, size, proof[1:], root)


def test_tampered_consistency_fails(store, leaves):
    for size in range(1, MAX + 1):
        root = merkle.root_hash(leaves[:size])
        for old in range(1, size):
            old_root = merkle.root_hash(leaves[:old])
            proof = merkle.consistency_proof(old, size, store.get)
            assert not merkle.verify_consistency(old, size, _flip(old_root), root, proof)
            assert not merkle.verify_consistency(old, size, old_root, _flip(root), proof)
            for j in range(len(proof)):
                assert not merkle.verify_consistency(
                    old, size, old_root, root, [*proof[:j], _flip(proof[j], 5), *proof[j + 1 :]]
                )
            assert not merkle.verify_consistency(old, size, old_root, root, proof[:-1])
            assert not merkle.verify_consistency(old, size, old_root, root, [*proof, root])
            if old > 1:
                assert not merkle.verify_consistency(old - 1, size, old_root, root, proof)


def test_edge_cases(leaves):
    one = leaves[0]
    assert merkle.verify_inclusion(one, 0, 1, [], one)  # size 1: the leaf is the root
    assert not merkle.verify_inclusion(one, 0, 1, [one], one)
    assert not merkle.verify_inclusion(one, 1, 1, [], one)
    assert not merkle.verify_inclusion(one, -1, 1, [], one)
    assert not merkle.verify_inclusion(one, 0, 0, [], one)
    assert not merkle.verify_inclusion(b"short", 0, 1, [], b"short")
    root = merkle.root_hash(leaves[:5])
    # old == new: empty proof, same root.
    assert merkle.verify_consistency(5, 5, root, root, [])
    assert not merkle.verify_consistency(5, 5, root, _flip(root), [])
    assert not merkle.verify_consistency(5, 5, root, root, [root])
    # The empty tree is extended by every tree, with an empty proof.
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, root, [])
    assert merkle.verify_consistency(0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [])
    assert not merkle.verify_consistency(0, 5, root, root, [])
    assert not merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, root, [root])
    # Shrinking, negative sizes, an empty proof where one is needed.
    assert not merkle.verify_consistency(5, 4, root, root, [])
    assert not merkle.verify_consistency(-1, 4, root, root, [])
    assert not merkle.verify_consistency(4, 5, merkle.root_hash(leaves[:4]), root, [])
    with pytest.raises(ValueError):
        merkle.inclusion_proof(3, 3, lambda level, i: b"")
    with pytest.raises(ValueError):
        merkle.consistency_proof(4, 3, lambda level, i: b"")
    assert (
        merkle.tree_root(0, lambda level, i: pytest.fail("no read for the empty tree")) == merkle.EMPTY_ROOT
    )


def test_getter_calls_are_logarithmic():
    size = 1_000_000
    bound = 2 * math.log2(size) + 2

    calls = 0

    def fake(level: int, index: int) -> bytes:
        nonlocal calls
        calls += 1
        assert (index + 1) << level <= size, "incomplete subtree requested"
        return hashlib.sha256(f"{level}/{index}".encode()).digest()

    assert merkle.tree_root(size, fake)
    assert calls == bin(size).count("1")
    rng = random.Random(6962)
    indices = [
        0,
        1,
        size // 2,
        size - 2,
        size - 1,
        524_287,
        524_288,
        *(rng.randrange(size) for _ in range(300)),
    ]
    worst = 0
    for index in indices:
        calls = 0
        proof = merkle.inclusion_proof(index, size, fake)
        assert calls <= bound, (index, calls)
        assert len(proof) <= math.ceil(math.log2(size))
        worst = max(worst, calls)
    for old in [1, 2, 3, 7, 8, 999_999, 524_288, 524_289, *(rng.randrange(1, size) for _ in range(300))]:
        calls = 0
        merkle.consistency_proof(old, size, fake)
        assert calls <= bound, (old, calls)
        worst = max(worst, calls)
    assert worst > 20  # the bound is not met trivially


def test_proofs_from_a_computed_store_verify():
    """A bigger tree whose complete subtrees are computed on demand."""
    size = 5000
    memo: dict[tuple[int, int], bytes] = {}

    def node(level: int, index: int) -> bytes:
        if (level, index) not in memo:
            if level == 0:
                memo[(level, index)] = merkle.leaf_hash(index.to_bytes(8, "big"))
            else:
                memo[(level, index)] = merkle.node_hash(
                    node(level - 1, 2 * index), node(level - 1, 2 * index + 1)
                )
        return memo[(level, index)]

    root = merkle.tree_root(size, node)
    assert root == merkle.root_hash([node(0, i) for i in range(size)])
    for index in (0, 1, 2047, 2048, 4095, 4096, size - 1):
        assert merkle.verify_inclusion(
            node(0, index), index, size, merkle.inclusion_proof(index, size, node), root
        )
    for old in (1, 1024, 3000, 4096, size - 1):
        proof = merkle.consistency_proof(old, size, node)
        assert merkle.verify_consistency(old, size, merkle.tree_root(old, node), root, proof)
