"""Merkle tree hashing, proofs and their verification, as in RFC 6962 / RFC 9162 (SHA-256).

Pure Python, no Django. The ledger stores only *complete* subtrees: node (level, index) is the
hash of leaves [index·2^level, (index+1)·2^level). A getter `get(level, index) -> bytes` reads
them; every function here asks it only for complete subtrees, and a logarithmic number of them.
"""

from collections.abc import Callable, Sequence
from hashlib import sha256

Getter = Callable[[int, int], bytes]

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()  # MTH({}) = HASH()


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 || left || right)."""
    return sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """Reference MTH over a list of leaf hashes (RFC 9162 §2.1.1); for tests and small trees."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return node_hash(root_hash(leaf_hashes[:k]), root_hash(leaf_hashes[k:]))


def new_nodes(index: int, leaf: bytes, get: Getter) -> list[tuple[int, int, bytes]]:
    """The complete subtrees that leaf number `index` closes, as (level, index, hash): the leaf
    itself, then one node per trailing 1-bit of `index`. Only left siblings are read, and they
    are all on the right edge of the tree of `index` leaves."""
    if index < 0 or len(leaf) != HASH_SIZE:
        raise ValueError("bad leaf index or hash")
    created = [(0, index, leaf)]
    node, level, i = leaf, 0, index
    while i & 1:
        node = node_hash(get(level, i - 1), node)
        level, i = level + 1, i >> 1
        created.append((level, i, node))
    return created


def _range_hash(start: int, end: int, get: Getter) -> bytes:
    """MTH of leaves [start, end) from complete subtrees. `start` must be a multiple of a power
    of two >= end - start (true for every subtree of the RFC decomposition): then the binary
    digits of the length, high to low, are aligned complete subtrees."""
    length = end - start
    parts, pos = [], start
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            if pos % (1 << level):
                raise ValueError("unaligned range")
            parts.append(get(level, pos >> level))
            pos += 1 << level
    node = parts[-1]
    for left in reversed(parts[:-1]):
        node = node_hash(left, node)
    return node


def tree_root(size: int, get: Getter) -> bytes:
    """Root of the first `size` leaves (popcount(size) getter calls)."""
    if size < 0:
        raise ValueError("negative tree size")
    return _range_hash(0, size, get) if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, get: Getter) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, leaf side first."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    proof = []
    start, n, m = 0, size, index
    while n > 1:
        k = _split(n)
        if m < k:
            proof.append(_range_hash(start + k, start + n, get))
            n = k
        else:
            proof.append(_range_hash(start, start + k, get))
            start, m, n = start + k, m - k, n - k
    proof.reverse()
    return proof


def consistency_proof(old_size: int, new_size: int, get: Getter) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1 (empty when old_size is 0 or equal)."""
    if not 0 <= old_size <= new_size:
        raise ValueError("bad tree sizes")
    if old_size in (0, new_size):
        return []
    proof = []
    start, m, n, whole = 0, old_size, new_size, True  # `whole`: the b flag of SUBPROOF
    while m != n:
        k = _split(n)
        if m <= k:
            proof.append(_range_hash(start + k, start + n, get))
            n = k
        else:
            proof.append(_range_hash(start, start + k, get))
            start, m, n, whole = start + k, m - k, n - k, False
    if not whole:
        proof.append(_range_hash(start, start + n, get))
    proof.reverse()
    return proof


def _is_hash(value) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not (_is_hash(leaf_hash) and _is_hash(root) and all(_is_hash(p) for p in proof)):
        return False
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2. Trivial cases, where the proof must be empty: equal sizes (equal
    roots), and the empty tree (root HASH()), which every tree extends."""
    if not (_is_hash(old_root) and _is_hash(new_root) and all(_is_hash(p) for p in proof)):
        return False
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root and (old_size > 0 or old_root == EMPTY_ROOT)
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
