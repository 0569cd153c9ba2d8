"""RFC 9162 Merkle tree hashes and proofs over a store of complete-subtree hashes.

The tree is RFC 9162 section 2.1 (Certificate Transparency v2): leaf hash
``SHA-256(0x00 || leaf)``, interior ``SHA-256(0x01 || left || right)``, the left subtree
of ``n`` leaves holding the largest power of two below ``n``.

Node store: node ``(level, i)`` is the hash of the complete subtree over leaves
``[i·2**level, (i+1)·2**level)``. It never changes once all its leaves exist, so
`completed_nodes` computes, when leaf ``i`` is appended, exactly the nodes it completes
(one per trailing 1-bit of ``i``: amortised two per append). Every subtree the RFC's
recursions (MTH, PATH, SUBPROOF) touch is either such a node or splits into one plus a
smaller right part, so a root of any size, an inclusion proof and a consistency proof
each cost O(log n) node lookups, never a pass over the leaves.

Written by hand (with `hashlib`) because no well-kept Python library computes RFC 9162
proofs over an external node store: the packages found either rebuild the tree in
memory from all leaves or implement RFC 6962's older conventions. The test suite
checks this module against a naive recursive transcription of the RFC's MTH, PATH and
PROOF for every size up to 300 and every index pair.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from deconflict.audit.errors import ProofError
from deconflict.audit.event import HASH_SIZE, node_hash

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() (RFC 9162 2.1.1)."""


class NodeReader(Protocol):
    """Read access to complete-subtree hashes; level 0 holds the leaf hashes."""

    def node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree `(level, index)`; KeyError/IndexError if absent."""
        ...


def completed_nodes(index: int, leaf: bytes, nodes: NodeReader) -> list[tuple[int, int, bytes]]:
    """The nodes that appending leaf hash `leaf` at `index` completes, bottom up.

    Always ``(0, index, leaf)`` first; then while the new node is a right child, its
    parent (the left sibling is read from `nodes`, which must hold all earlier nodes).
    """
    out = [(0, index, leaf)]
    level, position, current = 0, index, leaf
    while position & 1:
        current = node_hash(nodes.node(level, position - 1), current)
        level += 1
        position >>= 1
        out.append((level, position, current))
    return out


def _largest_power_of_two_below(n: int) -> int:
    """k with k < n ≤ 2k (n ≥ 2): the RFC's split point."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(start: int, end: int, nodes: NodeReader) -> bytes:
    """MTH(D[start:end]) for a range the RFC recursion produces.

    Such a range starts at a multiple of a power of two ≥ its width, so it is a complete
    node when its width is a power of two, and otherwise a complete left part of the
    largest power of two below the width plus a smaller such range on the right.
    Lookups: one per 1-bit of the width.
    """
    width = end - start
    if width <= 0:
        raise ValueError("empty range")
    right: bytes | None = None
    parts: list[bytes] = []
    while width:
        if width & (width - 1) == 0:  # a power of two: one complete node
            level = width.bit_length() - 1
            parts.append(nodes.node(level, start >> level))
            break
        k = _largest_power_of_two_below(width)
        level = k.bit_length() - 1
        parts.append(nodes.node(level, start >> level))
        start += k
        width -= k
    for part in reversed(parts):
        right = part if right is None else node_hash(part, right)
    assert right is not None
    return right


def root(size: int, nodes: NodeReader) -> bytes:
    """MTH of the first `size` leaves (EMPTY_ROOT for 0): O(log size) lookups.

    >>> from deconflict.audit.event import leaf_hash
    >>> nodes = tree_of([leaf_hash(b""), leaf_hash(bytes(1))])  # RFC 6962 test leaves
    >>> root(2, nodes).hex()
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'
    """
    return EMPTY_ROOT if size == 0 else subtree_hash(0, size, nodes)


def inclusion_proof(index: int, size: int, nodes: NodeReader) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 2.1.3.1, deepest sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if m < k:
            path.append(subtree_hash(start + k, end, nodes))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, nodes))
            start += k
            m -= k
    path.reverse()  # the recursion appends on the way back up
    return path


def consistency_proof(old_size: int, new_size: int, nodes: NodeReader) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) = SUBPROOF(m, D[n], true) of RFC 9162 2.1.4.1.

    Empty when ``old_size`` is 0 or equals ``new_size`` (nothing to prove).
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    start, end, m, whole = 0, new_size, old_size, True
    while m != end - start:
        k = _largest_power_of_two_below(end - start)
        if m <= k:
            proof.append(subtree_hash(start + k, end, nodes))
            end = start + k
        else:
            proof.append(subtree_hash(start, start + k, nodes))
            start += k
            m -= k
            whole = False
    if not whole:
        proof.append(subtree_hash(start, end, nodes))
    proof.reverse()
    return proof


def _check_hashes(*hashes: bytes) -> None:
    for h in hashes:
        if len(h) != HASH_SIZE:
            raise ProofError("every hash in a proof is 32 bytes")


def root_from_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 2.1.3.2 steps 1–4)."""
    _check_hashes(leaf, *path)
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return r


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes
) -> None:
    """Raise `ProofError` unless `path` proves leaf hash `leaf` at `index` under the root."""
    if root_from_inclusion(leaf, index, size, path) != expected_root:
        raise ProofError(f"inclusion proof for leaf {index} does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise `ProofError` unless `proof` shows tree `new` extends tree `old` (RFC 9162 2.1.4.2).

    The trivial cases the RFC leaves out are accepted with an empty proof: equal sizes
    with equal roots, and an empty old tree (its root must be EMPTY_ROOT).
    """
    _check_hashes(old_root, new_root, *proof)
    if not 0 <= old_size <= new_size:
        raise ProofError(f"size {new_size} cannot extend size {old_size}")
    if old_size == new_size or old_size == 0:
        if proof:
            raise ProofError("a proof between these sizes must be empty")
        if old_size == new_size and old_root != new_root:
            raise ProofError(f"two different roots for size {old_size}")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofError("the root of the empty tree is SHA-256 of nothing")
        return
    if not proof:  # step 1
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # step 2
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 7
        raise ProofError("consistency proof is too short")
    if fr != old_root:
        raise ProofError(f"the proof does not reproduce the root of size {old_size}")
    if sr != new_root:
        raise ProofError(f"the proof does not reproduce the root of size {new_size}")


class MemoryNodes:
    """Complete-subtree hashes in one Python list per level (the in-memory node store)."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = []

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def put(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        for level, index, value in nodes:
            while len(self.levels) <= level:
                self.levels.append([])
            row = self.levels[level]
            if index != len(row):
                raise ValueError(f"node ({level}, {index}) out of order")
            row.append(value)

    def append_leaf(self, leaf: bytes) -> None:
        size = len(self.levels[0]) if self.levels else 0
        self.put(completed_nodes(size, leaf, self))

    @property
    def size(self) -> int:
        return len(self.levels[0]) if self.levels else 0


def tree_of(leaves: Sequence[bytes]) -> MemoryNodes:
    """A node store over the given leaf hashes (O(n) hashes, used to re-verify a log)."""
    nodes = MemoryNodes()
    for leaf in leaves:
        nodes.append_leaf(leaf)
    return nodes
