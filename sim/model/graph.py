"""Compiled helpers for the citizens' tie graph: a symmetric 0/1 CSR pattern built from
a list of pairs without scipy's float64 temporaries (issue 15: one agent per person, about
20 million citizens and 160 million tie entries, within a few GB)."""

from __future__ import annotations

import numba
import numpy as np
from scipy import sparse

from sim.model import kernels  # noqa: F401  (sets numba's cache folder, outside the repo)


@numba.njit(cache=True)
def _pattern(i, j, n, indptr, indices):
    """Fills indptr (n + 1 zeros) and the front of indices (2 * len(i) slots); returns how
    many indices it used. The caller allocates: a compiled function that returns an array
    calls back into Python to box it, where a pending Ctrl-C turns into a SystemError."""
    degree = np.zeros(n + 1, np.int64)
    for p in range(i.size):
        if i[p] != j[p]:
            degree[i[p] + 1] += 1
            degree[j[p] + 1] += 1
    start = np.cumsum(degree)
    fill = start[:-1].copy()
    for p in range(i.size):
        a, b = i[p], j[p]
        if a != b:
            indices[fill[a]] = b
            fill[a] += 1
            indices[fill[b]] = a
            fill[b] += 1
    # sort each row, drop repeated ties, compact in place
    out = 0
    for r in range(n):
        row = np.sort(indices[start[r] : start[r + 1]])
        last = -1
        for v in row:
            if v != last:
                indices[out] = v
                out += 1
                last = v
        indptr[r + 1] = out
    return out


def symmetric_ties(i: np.ndarray, j: np.ndarray, n: int) -> sparse.csr_matrix:
    """The n x n symmetric 0/1 (float32) matrix with a tie for every pair (i, j), i != j,
    and its mirror; sorted indices, no duplicates: the pattern of
    ``((coo(i, j) + coo(i, j).T) > 0)`` without its temporaries."""
    i, j = np.asarray(i), np.asarray(j)
    indptr, indices = np.zeros(int(n) + 1, np.int64), np.empty(2 * i.size, np.int32)
    indices = indices[: _pattern(i, j, int(n), indptr, indices)].copy()
    if indices.size < 2**31:
        indptr = indptr.astype(np.int32)
    data = np.ones(indices.size, np.float32)
    ties = sparse.csr_matrix((data, indices, indptr), shape=(n, n))
    ties.has_sorted_indices = True
    return ties


def warm_up() -> None:
    """Load (or compile) the pattern builder with the tie builder's argument types (int32
    pairs), as kernels.warm_up does for the step's kernels."""
    symmetric_ties(np.array([0], np.int32), np.array([1], np.int32), 2)
