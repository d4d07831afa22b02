"""Property tests: symmetry, PSD handling and id alignment hold for any input."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bayeslmm.kernels import Kernel, grm, normalize_ids

FLOATS = st.floats(-10, 10, allow_nan=False, width=64)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(1, 6)), elements=FLOATS), st.sampled_from(["clip", "jitter"]))
def test_any_gram_or_corrected_matrix_is_symmetric_psd(x: np.ndarray, policy: str) -> None:
    n = x.shape[0]
    m = x @ x.T - 0.5 * np.eye(n)  # possibly indefinite
    m = m + np.eye(n) * max(0.0, 1.0 - np.diag(m).mean())  # positive mean diagonal
    k = Kernel(m, ids=range(n), psd=policy)
    assert np.array_equal(k.matrix, k.matrix.T)
    assert np.linalg.eigvalsh(k.matrix)[0] >= -1e-8 * max(1.0, np.abs(k.matrix).max())
    assert np.diag(k.matrix).mean() == np.float64(1.0) or abs(np.diag(k.matrix).mean() - 1) < 1e-12
    assert k.psd.action in ("none", "clipped", "jittered")


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 12), st.integers(1, 40), st.integers(0, 2**31 - 1))
def test_grm_symmetric_psd_and_centred(n: int, m: int, seed: int) -> None:
    x = np.random.default_rng(seed).binomial(2, 0.4, size=(n, m)).astype(float)
    if np.all(x.std(axis=0) == 0):
        x[0, 0] = 2.0 - x[0, 0] if x[0, 0] != 1 else 0.0
    k = grm(x, scale=False)
    assert np.array_equal(k.matrix, k.matrix.T)
    assert np.linalg.eigvalsh(k.matrix)[0] > -1e-9 * max(1.0, np.abs(k.matrix).max())


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.one_of(st.integers(-1000, 10**6), st.text("abcxyz0123", min_size=1, max_size=5)), min_size=1, max_size=20, unique_by=lambda v: str(v)),
    st.randoms(use_true_random=False),
)
def test_alignment_recovers_positions(ids: list, rnd) -> None:
    norm = normalize_ids(ids)
    if len(set(norm.tolist())) != len(ids):
        return
    k = Kernel(np.eye(len(ids)), ids)
    levels = list(ids)
    rnd.shuffle(levels)
    levels = levels[: max(1, len(levels) // 2)]
    pos = k.align(levels)
    assert [k.ids[p] for p in pos] == normalize_ids(levels).tolist()
    # float forms of integer ids align to the same rows
    floats = [float(v) if isinstance(v, int) else v for v in levels]
    assert k.align(floats).tolist() == pos.tolist()
