"""Properties of the numba backend beyond agreement: its math, determinism, threads, memory, start-up."""

import math
import os
import platform
import threading
import tracemalloc

import numpy as np
import pytest
from problems import assert_agree, random_problem, run_python, stable_learning_rate, train_both

import fastlogreg
from fastlogreg.backends import get_backend, numba_fused
from fastlogreg.data import make_nba_like


@pytest.fixture(scope="module")
def exp_kernel():
    import numba

    from fastlogreg.backends.numba_math import exp_nonpositive

    @numba.njit
    def apply(values):
        out = np.empty_like(values)
        for i in range(values.shape[0]):
            out[i] = exp_nonpositive(values[i])
        return out

    return apply


def test_exp_matches_libm_over_its_domain(exp_kernel):
    rng = np.random.default_rng(0)
    t = np.concatenate(
        [
            -rng.random(20000) * 750,
            -rng.random(2000),
            [0.0, -0.5 * math.log(2), -700, -708.4, -709, -720.5, -745.1, -745.2, -746, -800, -1e300, -np.inf],
        ]
    )
    ours, libm = exp_kernel(t), np.array([math.exp(v) for v in t])
    normal = libm > 2.2250738585072014e-308
    # a few ulps: the tutorial's printed figures are reproduced to the last digit
    assert np.max(np.abs(ours[normal] - libm[normal]) / libm[normal]) < 4e-16
    # subnormal results may flush to 0
    assert np.max(np.abs(ours[~normal] - libm[~normal])) < 2.3e-308
    assert ours[-1] == 0.0 and ours[-3] == 0.0


# Row-major X of up to LANE_FEATURES features and at least LANE_MIN_ROWS rows is summed in blocks of LANES
# rows straight from X, its last rows padded, where the CPU has AVX-512 (and here on every CPU); other X
# through a column copy. Sizes: whole blocks and a last row alone; two whole chunks and a last chunk of
# three whole blocks and 5 rows.
LANE_SIZES = [numba_fused.LANE_MIN_ROWS + 1, 2 * numba_fused.chunk_rows(3) + 3 * numba_fused.LANES + 5]


@pytest.mark.parametrize("rows", LANE_SIZES)
@pytest.mark.parametrize("features", range(1, numba_fused.LANE_FEATURES + 1))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sums_in_lanes_match_the_reference(monkeypatch, rows, features, dtype):
    monkeypatch.setattr(numba_fused, "IN_LANES", True)
    X, y = random_problem(rows, features, seed=features)
    X, labels = X.astype(dtype), y.astype(np.uint8)
    by_columns = np.asfortranarray(X)
    assert numba_fused.layout_of(X).in_lanes
    assert numba_fused.layout_of(by_columns).in_lanes == (features == 1)  # one column is both orders
    for data in (X, by_columns):
        assert_sums_match_the_reference(data, labels)


def assert_sums_match_the_reference(X, labels):
    """numba's gradient sums of one pass over X, against the reference's, to rounding."""
    w, b = np.linspace(-0.8, 0.6, X.shape[1]), 0.3
    reference = get_backend("python")
    expected = reference.gradient_sums(reference.prepare(X.astype(float), labels), w, b)
    sums = numba_fused.gradient_sums((X, labels), w, b)
    terms = np.abs(X).sum(axis=0)  # each gradient entry sums a term of size up to |x| per row (residuals in [-1, 1])
    assert sums.loss == pytest.approx(expected.loss, rel=1e-13, abs=0)
    np.testing.assert_allclose(sums.weights, expected.weights, rtol=0, atol=1e-14 * np.max(terms))
    assert sums.bias == pytest.approx(expected.bias, rel=0, abs=1e-14 * X.shape[0])


# Each of the three paths over two whole chunks and a short last one, on one thread and on all: the
# reference's sums, and its whole gradient descent (the compiled loop's chunks).
PATHS = [(3, "C", "lanes"), (3, "C", "columns"), (3, "F", "columns"), (5, "C", "rows"), (64, "C", "rows")]


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
@pytest.mark.parametrize("features, order, path", PATHS, ids=[f"{p}-{d}-{o}" for d, o, p in PATHS])
def test_each_path_over_many_chunks_matches_the_reference(monkeypatch, features, order, path, parallel):
    monkeypatch.setattr(numba_fused, "IN_LANES", path == "lanes")
    rows = 2 * numba_fused.chunk_rows(features) + 3 * numba_fused.LANES + 5
    X, y = random_problem(rows, features, seed=features)
    X = np.asarray(X, order=order)
    monkeypatch.setattr(numba_fused, "PARALLEL_MIN_ENTRIES", 0 if parallel else X.size + 1)
    layout = numba_fused.layout_of(X)
    assert (layout.in_lanes, layout.by_rows, layout.parallel) == (path == "lanes", path == "rows", parallel)
    assert_sums_match_the_reference(X, y.astype(np.uint8))
    assert_agree(*train_both(X, y, "numba", learning_rate=stable_learning_rate(X, "mean"), epochs=8))


# X of at most one chunk, on one thread (outside the lanes), is copied into the column buffer once per
# call and scored from there every epoch: the reference's answer, and the same bits as the copy every
# epoch; row- and column-major, float32, and rows gathered from every other row of X.
RESIDENT = [
    (12, 3, "C", "float64"),
    (12, 3, "F", "float64"),
    (12, 3, "C", "float32"),
    (12, 3, "every-other-row", "float64"),
    (1, 1, "C", "float64"),
    (numba_fused.chunk_rows(4), 4, "C", "float64"),
    (100, 9, "F", "float64"),
]


def one_chunk(rows, features, order, dtype):
    X, y = random_problem(2 * rows, features, seed=rows + features)
    if order == "every-other-row":
        return X[::2], y[::2]
    return np.asarray(X[:rows], dtype=dtype, order=order), y[:rows]


@pytest.mark.parametrize("rows, features, order, dtype", RESIDENT, ids=[f"{n}x{d}-{o}-{t}" for n, d, o, t in RESIDENT])
def test_x_of_one_chunk_copied_once_per_call_gives_the_bits_of_a_copy_every_epoch(
    monkeypatch, rows, features, order, dtype
):
    monkeypatch.setattr(numba_fused, "IN_LANES", False)
    X, y = one_chunk(rows, features, order, dtype)
    assert numba_fused.layout_of(X).resident
    settings = dict(learning_rate=stable_learning_rate(X, "mean"), epochs=7, dtype=dtype)
    resident, reference = train_both(X, y, "numba", **settings)
    assert_agree(resident, reference)
    layout_of, copied_layouts = numba_fused.layout_of, []

    def copied_every_epoch(X, **options):
        copied_layouts.append(layout_of(X, **options)._replace(resident=False))
        return copied_layouts[-1]

    w, b, labels = resident.weights, resident.bias, y.astype(np.uint8)
    passes = [numba_fused.gradient_sums((X, labels), w, b), numba_fused.block_sums(X, labels, w, b)]
    monkeypatch.setattr(numba_fused, "layout_of", copied_every_epoch)
    copied = fastlogreg.train(X, y, backend="numba", **settings)
    assert copied_layouts
    np.testing.assert_array_equal(copied.loss_history, resident.loss_history)
    np.testing.assert_array_equal(copied.weights, resident.weights)
    assert (copied.bias, copied.loss) == (resident.bias, resident.loss)
    # a lone pass (Newton's line search, a dask block) over the copy, and over X copied in its pass
    resident_sums, resident_block = passes
    copied_sums = numba_fused.gradient_sums((X, labels), w, b)
    assert (copied_sums.loss, copied_sums.bias) == (resident_sums.loss, resident_sums.bias)
    np.testing.assert_array_equal(copied_sums.weights, resident_sums.weights)
    np.testing.assert_array_equal(numba_fused.block_sums(X, labels, w, b), resident_block)


def test_x_of_one_chunk_gives_the_same_bits_in_either_order():
    X, y = one_chunk(12, 3, "C", "float64")
    by_rows, by_columns = (
        fastlogreg.train(X, y, backend="numba", learning_rate=0.1, epochs=20) for X in (X, np.asfortranarray(X))
    )
    np.testing.assert_array_equal(by_rows.loss_history, by_columns.loss_history)
    np.testing.assert_array_equal(by_rows.weights, by_columns.weights)
    assert by_rows.bias == by_columns.bias


@pytest.mark.parametrize("path", ["lanes", "columns", "curvature"])
def test_the_rounding_of_one_plus_e_is_taken_out_of_each_rows_loss(monkeypatch, path):
    # The kernels take a row's log(1 + e), e = e^-|z|, as the log of the rounded fl(1 + e), corrected by
    # that rounding. Here every row is labelled right, with e just above the series' range (2**-10) and
    # 1 + e rounded up by 0.3 to 0.5 of its last place: uncorrected, each row's loss (about 1.7e-3)
    # would be about 1e-16 too large, 5e-14 of the total (checked by deleting the correction).
    # Corrected, the total is within 1e-14 of math.fsum of libm's log1p: the products' roundings are
    # not of one sign.
    grid = 6.25 + 1.3e-5 * np.arange(40_000)
    e = np.exp(-grid)
    z = -grid[(e - ((1.0 + e) - 1.0)) < -0.3 * 2.0**-52][:4096]
    assert z.size == 4096 and np.all(np.exp(z) > 2.0**-10)
    expected = math.fsum(math.log1p(math.exp(v)) for v in z)
    monkeypatch.setattr(numba_fused, "IN_LANES", path == "lanes")
    X = np.zeros((z.size, 2), order="C" if path == "lanes" else "F")
    X[:, 0] = z  # w = [1, 0], b = 0, labels 0: each row's score is z < 0, its label right
    labels, w = np.zeros(z.size, dtype=np.uint8), np.array([1.0, 0.0])
    assert numba_fused.layout_of(X).in_lanes == (path == "lanes")
    sums = (numba_fused.curvature_sums if path == "curvature" else numba_fused.gradient_sums)((X, labels), w, 0.0)
    assert sums.loss == pytest.approx(expected, rel=1e-14, abs=0)


def test_only_x_of_one_chunk_on_one_thread_outside_the_lanes_is_resident(monkeypatch):
    monkeypatch.setattr(numba_fused, "IN_LANES", False)
    X = np.zeros((numba_fused.chunk_rows(3) + 1, 3))
    assert not numba_fused.layout_of(X).resident  # two chunks
    assert numba_fused.layout_of(X[:-1]).resident
    assert not numba_fused.layout_of(X[:12], parallel=True).resident  # each parallel task copies its own chunks
    assert not numba_fused.layout_of(np.zeros((12, 5))).resident  # wide row-major: scored along its rows
    assert numba_fused.layout_of(np.zeros((12, 5), order="F")).resident
    monkeypatch.setattr(numba_fused, "IN_LANES", True)
    assert not numba_fused.layout_of(X[: numba_fused.LANE_MIN_ROWS]).resident  # in lanes, straight from X


# The column copy reads rows of up to LANE_FEATURES features through a flat view of C-contiguous X; rows
# that are contiguous but not adjacent (every other row of X) it gathers column by column. Each, in the
# gradient's pass and the curvature pass, over two chunks.
NARROW_ROWS = [("C", "float64"), ("C", "float32"), ("every-other-row", "float64")]


@pytest.mark.parametrize("features", range(1, numba_fused.LANE_FEATURES + 1))
@pytest.mark.parametrize("layout, dtype", NARROW_ROWS, ids=[f"{layout}-{dtype}" for layout, dtype in NARROW_ROWS])
def test_column_copy_of_narrow_rows_matches_the_reference(monkeypatch, features, layout, dtype):
    from fastlogreg.backends import pure_python

    monkeypatch.setattr(numba_fused, "IN_LANES", False)
    rows = numba_fused.curvature_rows(features) + 5
    X, y = random_problem(2 * rows, features, seed=features)
    X, y = (X[::2], y[::2]) if layout == "every-other-row" else (X[:rows].astype(dtype), y[:rows])
    assert X.flags.c_contiguous == (layout == "C") and X.strides[1] == X.itemsize
    labels = y.astype(np.uint8)
    assert_sums_match_the_reference(X, labels)
    w, b = np.linspace(-0.8, 0.6, features), 0.3
    sums = numba_fused.curvature_sums((X, labels), w, b)
    expected = pure_python.curvature_sums(pure_python.prepare(X.astype(float), labels), w, b)
    assert sums.loss == pytest.approx(expected.loss, rel=1e-13, abs=0)
    np.testing.assert_allclose(sums.gradient, expected.gradient, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sums.hessian, expected.hessian, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_flat_rows_is_numpys_flat_view_of_c_contiguous_rows(dtype):
    import numba

    from fastlogreg.backends.numba_intrinsics import flat_rows

    @numba.njit
    def rows_of(X, start, stop):
        return flat_rows(X, start, stop)

    X = np.arange(35, dtype=dtype).reshape(7, 5)
    for start, stop in [(0, 7), (2, 5), (6, 7), (3, 3)]:
        rows = rows_of(X, start, stop)
        np.testing.assert_array_equal(rows, X[start:stop].reshape(-1))
        assert rows.dtype == X.dtype and np.shares_memory(rows, X) == (stop > start)
    kept = rows_of(np.arange(35, dtype=dtype).reshape(7, 5), 1, 3)  # the view keeps its (otherwise freed) X alive
    np.testing.assert_array_equal(kept, np.arange(5, 15, dtype=dtype))
    assert rows_of(np.asfortranarray(X), 0, 7).size == 0  # other layouts: empty (their kernels never call it)


GD, NEWTON = dict(learning_rate=0.01, epochs=5), dict(solver="newton")  # the descent kernels; the curvature pass
# Gradient descent on each path of 3 features (whatever the CPU) and on the wide one; Newton's curvature
# pass, which takes no lanes, on rows of 3 features and on wide rows.
SAME_BITS = [
    (200_013, 3, True, GD),
    (200_013, 3, False, GD),
    (30_000, 5, False, GD),
    (200_013, 3, False, NEWTON),
    (30_000, 5, False, NEWTON),
]


@pytest.mark.parametrize(
    "rows, features, in_lanes, solver", SAME_BITS, ids=["lanes", "columns", "rows", "newton", "newton-wide"]
)
def test_parallel_and_serial_paths_give_the_same_bits(monkeypatch, rows, features, in_lanes, solver):
    monkeypatch.setattr(numba_fused, "IN_LANES", in_lanes)
    X, y = make_nba_like(rows, n_features=features)
    settings = dict(backend="numba", **solver)
    assert X.size >= numba_fused.PARALLEL_MIN_ENTRIES
    parallel = fastlogreg.train(X, y, **settings)
    again = fastlogreg.train(X, y, **settings)
    monkeypatch.setattr(numba_fused, "PARALLEL_MIN_ENTRIES", X.size + 1)
    serial = fastlogreg.train(X, y, **settings)
    for other in (again, serial):
        np.testing.assert_array_equal(other.weights, parallel.weights)
        np.testing.assert_array_equal(other.loss_history, parallel.loss_history)
        assert other.bias == parallel.bias and other.loss == parallel.loss


def test_concurrent_calls_from_threads_give_the_serial_answer():
    problems = [make_nba_like(n, random_state=n) for n in (100_000, 50_000, 120, 30_000)]
    settings = dict(backend="numba", learning_rate=0.01, epochs=8)
    expected = [fastlogreg.train(X, y, **settings) for X, y in problems]
    results = {}

    def work(k):
        for _ in range(3):
            results.setdefault(k, []).append(fastlogreg.train(*problems[k % len(problems)], **settings))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for k, runs in results.items():
        for result in runs:
            np.testing.assert_array_equal(result.weights, expected[k % len(problems)].weights)
            np.testing.assert_array_equal(result.loss_history, expected[k % len(problems)].loss_history)
    assert sum(map(len, results.values())) == 24


# Each layout and each float dtype once: each extra pair compiles the whole kernel again (seconds), and
# test_validation checks every pair for copies before the kernel.
@pytest.mark.parametrize("layout, dtype", [("C", "float64"), ("F", "float64"), ("C", "float32")])
def test_no_copy_of_x(layout, dtype):
    X, y = make_nba_like(400_000, dtype=dtype)
    X = np.asfortranarray(X) if layout == "F" else X
    fastlogreg.train(X, y, backend="numba", solver="gd", epochs=1, dtype=dtype)  # compile outside the trace
    tracemalloc.start()
    fastlogreg.train(X, y, backend="numba", solver="gd", epochs=3, dtype=dtype)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # X is never copied; the labels are checked in y's own dtype and kept as one byte per row (two
    # n-byte masks at the peak): 0.08 X for 3 float64 features, 0.17 X for float32
    assert peak < (0.2 if dtype == "float64" else 0.4) * X.nbytes, (peak, X.nbytes)


def test_memmap_trains_without_copying(tmp_path):
    X, y = make_nba_like(300_000)
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    expected = fastlogreg.train(X, y, backend="numba", solver="gd", epochs=3)
    fastlogreg.train(mapped, y, backend="numba", solver="gd", epochs=1)  # compile for read-only X first
    tracemalloc.start()
    result = fastlogreg.train(mapped, y, backend="numba", solver="gd", epochs=3)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.5 * X.nbytes
    np.testing.assert_array_equal(result.weights, expected.weights)


def test_fresh_process_trains_the_tutorial_quickly_from_the_cache():
    code = (
        "import time; t0 = time.perf_counter(); import fastlogreg;"
        "X, y = fastlogreg.load_nba_rookie_draft(); fastlogreg.train(X, y, backend='numba');"
        "print(time.perf_counter() - t0)"
    )
    run_python(code)  # fills numba's cache if this machine has not compiled yet
    seconds = min(float(run_python(code).stdout) for _ in range(3))
    assert seconds < 1.5


def test_unwritable_cache_falls_back_to_compiling_without_it():
    # Make every cache directory numba could choose fail, as on a read-only install with no home. Every
    # kernel is decorated when the backend is imported, so the import puts each through the fallback; one
    # kernel then compiles and runs uncached. (A training run would compile the whole kernel the same way,
    # uncached: seconds on a small machine, which is why it is not done here.)
    code = (
        "import numba.core.caching as caching\n"
        "def refuse(self): raise OSError('read-only')\n"
        "caching._CacheLocator.ensure_cache_path = refuse\n"
        "import math, warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    from fastlogreg.backends import numba_fused, numba_math\n"
        "    value = numba_math.exp_nonpositive(-1.0)\n"
        "print(abs(value - math.exp(-1.0)) < 1e-15, sum('cache unavailable' in str(w.message) for w in caught))\n"
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    right, warnings = done.stdout.split()
    assert right == "True" and int(warnings) > 0


def test_runs_uncompiled_under_numba_disable_jit():
    # The kernels must step through as plain Python (a debugger, coverage): the bit casts included.
    code = (
        "import numpy as np, fastlogreg\n"
        "from fastlogreg.backends import numba_fused\n"
        "from fastlogreg.data import make_nba_like\n"
        "X, y = make_nba_like(40, random_state=1)\n"
        "numba_fused.IN_LANES = True  # the lanes, on any CPU\n"
        "big = make_nba_like(1100, random_state=2)  # rows enough for the lanes (LANE_MIN_ROWS)\n"
        "cases = ((X, y, 'gd'), (np.asfortranarray(X), y, 'gd'), (X, y, 'newton'), (*big, 'gd'))\n"
        "for X, y, solver in cases:\n"
        "    a = fastlogreg.train(X, y, backend='numba', solver=solver, epochs=20)\n"
        "    b = fastlogreg.train(X, y, backend='python', solver=solver, epochs=20)\n"
        "    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-9)\n"
        "    np.testing.assert_allclose(a.loss_history, b.loss_history, rtol=1e-9)\n"
        "print('ok')\n"
    )
    done = run_python(code, env=dict(os.environ, NUMBA_DISABLE_JIT="1"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ok"]


@pytest.mark.skipif(platform.machine().lower() not in {"x86_64", "amd64"}, reason="compiles for an x86 target")
def test_kernels_use_512_bit_vectors_on_intel_avx512():
    # For Intel's AVX-512 CPUs LLVM prefers 256-bit vectors unless a function asks for 512: compiled
    # (never run, so any machine can check it) for Sapphire Rapids, the dot products use zmm registers,
    # while the same loop without prefer_512_bit_vectors() stays at ymm.
    code = """
        import numba, numpy as np
        from numba import float64, int64
        from fastlogreg.backends import numba_fused

        @numba.njit(fastmath={"reassoc", "contract"})
        def plain_dot(x, y):
            total = 0.0
            for i in range(x.shape[0]):
                total += x[i] * y[i]
            return total

        vector = float64[::1]
        for name, dispatcher, args in (
            ("plain", plain_dot, (vector, vector)),
            ("kernel", numba_fused._scores_by_rows, (float64[:, ::1], int64, int64, vector, float64, vector)),
        ):
            dispatcher.compile(args)
            asm = dispatcher.inspect_asm(args)
            print(name, "zmm" in asm, "ymm" in asm)  # 512-bit and 256-bit registers
    """
    features = "+avx512f,+avx512vl,+avx512dq,+avx512bw,+avx512cd"
    env = dict(os.environ, NUMBA_CPU_NAME="sapphirerapids", NUMBA_CPU_FEATURES=features, FASTLOGREG_NUMBA_CACHE="0")
    done = run_python(code, env=env)
    assert done.returncode == 0, done.stderr
    plain, kernel = (line.split()[1:] for line in done.stdout.splitlines()[:2])
    assert plain == ["False", "True"], done.stdout  # this target vectorizes at 256 bits unless asked
    assert kernel[0] == "True", done.stdout
