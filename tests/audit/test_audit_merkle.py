"""merkle.py against the RFC: published CT vectors and a naive transcription of RFC 9162.

The reference below is written straight from RFC 9162 sections 2.1.1, 2.1.3.1 and
2.1.4.1 (MTH, PATH, PROOF/SUBPROOF as recursive functions over the list of leaves),
sharing nothing with the implementation but `hashlib`. The implementation answers from
its node store; both must give identical roots and proofs for every tree size 1..300
and every index pair, and every honest proof must verify while a damaged one must not.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.audit import merkle
from deconflict.audit.errors import ProofError

# --- the naive reference, from the RFC text -------------------------------------------


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class Naive:
    """MTH / PATH / PROOF of RFC 9162 over leaf *inputs* D[0:n] (memoised MTH only)."""

    def __init__(self, entries: list[bytes]) -> None:
        self.d = entries
        self.memo: dict[tuple[int, int], bytes] = {}

    def mth(self, a: int, b: int) -> bytes:
        if (a, b) in self.memo:
            return self.memo[(a, b)]
        n = b - a
        if n == 0:
            value = sha(b"")
        elif n == 1:
            value = sha(b"\x00" + self.d[a])
        else:
            k = 1
            while k * 2 < n:
                k *= 2
            value = sha(b"\x01" + self.mth(a, a + k) + self.mth(a + k, b))
        self.memo[(a, b)] = value
        return value

    def path(self, m: int, a: int, b: int) -> list[bytes]:
        n = b - a
        if n == 1:
            return []
        k = 1
        while k * 2 < n:
            k *= 2
        if m < k:
            return [*self.path(m, a, a + k), self.mth(a + k, b)]
        return [*self.path(m - k, a + k, b), self.mth(a, a + k)]

    def subproof(self, m: int, a: int, b: int, whole: bool) -> list[bytes]:
        n = b - a
        if m == n:
            return [] if whole else [self.mth(a, b)]
        k = 1
        while k * 2 < n:
            k *= 2
        if m <= k:
            return [*self.subproof(m, a, a + k, whole), self.mth(a + k, b)]
        return [*self.subproof(m - k, a + k, b, False), self.mth(a, a + k)]

    def proof(self, m: int, n: int) -> list[bytes]:
        return self.subproof(m, 0, n, True)


def store_for(entries: list[bytes]) -> merkle.MemoryNodes:
    return merkle.tree_of([sha(b"\x00" + e) for e in entries])


# --- published vectors (certificate-transparency reference test data) ----------------

CT_HEX = ("", "00", "10", "2021", "3031", "40414243", "5051525354555657")
CT_ENTRIES = [bytes.fromhex(h) for h in (*CT_HEX, "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CT_CONSISTENCY = {
    (1, 8): CT_INCLUSION[(0, 8)],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


def test_roots_match_the_published_vectors() -> None:
    nodes = store_for(CT_ENTRIES)
    assert [merkle.root(n, nodes).hex() for n in range(9)] == CT_ROOTS


@pytest.mark.parametrize(("index", "size"), sorted(CT_INCLUSION))
def test_inclusion_matches_the_published_vectors(index: int, size: int) -> None:
    nodes = store_for(CT_ENTRIES)
    proof = merkle.inclusion_proof(index, size, nodes)
    assert [h.hex() for h in proof] == CT_INCLUSION[(index, size)]
    leaf = sha(b"\x00" + CT_ENTRIES[index])
    merkle.verify_inclusion(leaf, index, size, proof, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("old", "new"), sorted(CT_CONSISTENCY))
def test_consistency_matches_the_published_vectors(old: int, new: int) -> None:
    nodes = store_for(CT_ENTRIES)
    proof = merkle.consistency_proof(old, new, nodes)
    assert [h.hex() for h in proof] == CT_CONSISTENCY[(old, new)]
    merkle.verify_consistency(
        old, new, bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[new]), proof
    )


# --- every size and index pair against the naive reference ----------------------------


def check_all_pairs(entries: list[bytes], nodes: merkle.MemoryNodes, n: int) -> None:
    naive = Naive(entries)
    root_n = naive.mth(0, n)
    assert merkle.root(n, nodes) == root_n
    for m in range(n):
        proof = merkle.inclusion_proof(m, n, nodes)
        assert proof == naive.path(m, 0, n), (m, n)
        merkle.verify_inclusion(nodes.node(0, m), m, n, proof, root_n)
    for m in range(n + 1):
        proof = merkle.consistency_proof(m, n, nodes)
        assert proof == ([] if m == 0 else naive.proof(m, n)), (m, n)
        merkle.verify_consistency(m, n, naive.mth(0, m), root_n, proof)


def test_every_size_up_to_300_and_every_index_pair() -> None:
    entries = [i.to_bytes(2, "big") for i in range(300)]
    nodes = store_for(entries)  # one store: proofs for size n only read nodes below n
    for n in range(1, 301):
        check_all_pairs(entries, nodes, n)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=300))
def test_random_leaves_every_index_pair(entries: list[bytes]) -> None:
    check_all_pairs(entries, store_for(entries), len(entries))


# --- damaged proofs are refused --------------------------------------------------------


def flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_damaged_inclusion_proofs_fail(pair: tuple[int, int]) -> None:
    n, m = pair
    entries = [i.to_bytes(2, "big") for i in range(n)]
    nodes = store_for(entries)
    root_n, leaf = merkle.root(n, nodes), nodes.node(0, m)
    proof = merkle.inclusion_proof(m, n, nodes)
    bad_variants = [(leaf, m, proof, flip(root_n)), (flip(leaf), m, proof, root_n)]
    bad_variants += [(leaf, m, [*proof, root_n], root_n)]
    if proof:
        bad_variants += [(leaf, m, proof[:-1], root_n)]
        bad_variants += [(leaf, m, [*proof[:-1], flip(proof[-1])], root_n)]
    if n > 1:
        bad_variants += [(leaf, (m + 1) % n, proof, root_n)]
    for bad_leaf, index, path, root in bad_variants:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(bad_leaf, index, n, path, root)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n - 1))))
def test_damaged_consistency_proofs_fail(pair: tuple[int, int]) -> None:
    n, m = pair
    nodes = store_for([i.to_bytes(2, "big") for i in range(n)])
    old, new = merkle.root(m, nodes), merkle.root(n, nodes)
    proof = merkle.consistency_proof(m, n, nodes)
    variants = [
        (old, flip(new), proof),
        (flip(old), new, proof),
        (old, new, proof[:-1]),
        (old, new, [*proof, new]),
        (old, new, [flip(proof[0]), *proof[1:]]),
    ]
    for old_root, new_root, path in variants:
        with pytest.raises(ProofError):
            merkle.verify_consistency(m, n, old_root, new_root, path)


def test_trivial_consistency_cases() -> None:
    nodes = store_for([b"a", b"b", b"c"])
    r3 = merkle.root(3, nodes)
    merkle.verify_consistency(3, 3, r3, r3, [])
    merkle.verify_consistency(0, 3, merkle.EMPTY_ROOT, r3, [])
    with pytest.raises(ProofError):
        merkle.verify_consistency(3, 3, r3, flip(r3), [])
    with pytest.raises(ProofError):
        merkle.verify_consistency(3, 2, r3, r3, [])


def test_appends_store_amortised_two_nodes_per_leaf() -> None:
    nodes = store_for([i.to_bytes(4, "big") for i in range(1 << 12)])
    assert sum(len(level) for level in nodes.levels) == 2 * (1 << 12) - 1
