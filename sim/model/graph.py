"""The citizens' tie graph: a symmetric 0/1 CSR matrix built from a list of pairs by a
compiled pass (kernels.tie_pattern), without scipy's float64 temporaries (issue 15: one
agent per person, about 20 million citizens and 160 million tie entries, within a few
GB)."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from sim.model.kernels import tie_pattern


def symmetric_ties(i: np.ndarray, j: np.ndarray, n: int) -> sparse.csr_matrix:
    """The n x n symmetric 0/1 (float32) matrix with a tie for every pair (i, j), i != j,
    and its mirror; sorted indices, no duplicates: the pattern of
    ``((coo(i, j) + coo(i, j).T) > 0)`` without its temporaries."""
    i, j = np.asarray(i), np.asarray(j)
    indptr, indices = np.zeros(int(n) + 1, np.int64), np.empty(2 * i.size, np.int32)
    indices = indices[: tie_pattern(i, j, int(n), indptr, indices)].copy()
    if indices.size < 2**31:
        indptr = indptr.astype(np.int32)
    data = np.ones(indices.size, np.float32)
    ties = sparse.csr_matrix((data, indices, indptr), shape=(n, n))
    ties.has_sorted_indices = True
    return ties
