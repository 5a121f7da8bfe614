"""Bad input is refused with a message naming the problem; good input of every common form is accepted."""

import sys

import numpy as np
import pytest

import fastlogreg
from fastlogreg.validation import check_features

X_OK = np.array([[12.0, 3.0], [13.0, 4.0], [17.0, 2.0]])
Y_OK = np.array([0.0, 1.0, 1.0])
FAST = dict(learning_rate=0.01, epochs=3, reduction="mean")


class NoNumPyType:
    """Like a torch bfloat16 tensor: NumPy has no dtype for its values."""

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Got unsupported ScalarType BFloat16")


REJECTED = [
    # (what is wrong, keyword overrides, error type, message pattern)
    ("nan in X", dict(X=[[1.0, np.nan], [2, 3], [4, 5]]), ValueError, "X contains NaN or infinity"),
    ("inf in X", dict(X=[[1.0, 2], [np.inf, 3], [4, 5]]), ValueError, r"X contains NaN or infinity.*row 1, column 0"),
    ("-inf in X", dict(X=[[1.0, 2], [3, 3], [4, -np.inf]]), ValueError, "X contains NaN or infinity"),
    ("X beyond float32", dict(X=[[1e300, 2], [3, 3], [4, 5]], dtype="float32"), ValueError, "beyond the float32 range"),
    ("X below float32", dict(X=[[1e-50, 2], [3, 0], [4, 5]], dtype="float32"), ValueError, "below the float32 range"),
    ("label 2", dict(y=[0, 1, 2]), ValueError, "only 0 and 1 labels, found 2"),
    ("label -1", dict(y=[0, -1, 1]), ValueError, "only 0 and 1 labels, found -1"),
    ("label 0.5", dict(y=[0, 0.5, 1]), ValueError, "only 0 and 1 labels, found 0.5"),
    ("label next to 1", dict(y=[0, 1 + 2**-52, 1]), ValueError, "only 0 and 1 labels, found 1.0000000000000002"),
    ("float32 label", dict(y=np.array([0, 0.1, 1], np.float32)), ValueError, "only 0 and 1 labels, found 0.1$"),
    ("nan label", dict(y=[0, np.nan, 1]), ValueError, "y contains NaN"),
    ("string labels", dict(y=["a", "b", "a"]), TypeError, "y must be real numbers"),
    ("short y", dict(y=[0, 1]), ValueError, "different lengths: X has 3 rows, y has 2"),
    ("long y", dict(y=[0, 1, 1, 0]), ValueError, "different lengths"),
    ("1-D X", dict(X=[1.0, 2.0, 3.0]), ValueError, "X must be 2-D"),
    ("3-D X", dict(X=np.ones((3, 2, 1))), ValueError, "X must be 2-D"),
    ("scalar X", dict(X=5.0), ValueError, "X must be 2-D"),
    ("2-D y", dict(y=np.zeros((3, 2))), ValueError, r"y must have shape \(n,\) or \(n, 1\)"),
    ("zero rows", dict(X=np.empty((0, 2)), y=[]), ValueError, "X has zero rows"),
    ("zero features", dict(X=np.empty((3, 0))), ValueError, "X has zero features"),
    ("string X", dict(X=[["a", "b"], ["c", "d"], ["e", "f"]]), TypeError, "X must be real numbers"),
    ("object X", dict(X=[[1, None], [2, 3], [4, 5]]), TypeError, "X must be real numbers"),
    ("complex X", dict(X=np.ones((3, 2)) * 1j), ValueError, "Complex data not supported"),
    ("ragged X", dict(X=[[1, 2], [3], [4, 5]]), ValueError, "rectangular"),
    ("X of no NumPy type", dict(X=NoNumPyType()), TypeError, "X could not be read as a NumPy array: Got unsupported"),
    ("unknown backend", dict(backend="torch"), ValueError, "unknown backend 'torch'.*'python', 'numpy', 'numba'"),
    ("zero learning rate", dict(learning_rate=0), ValueError, "learning_rate must be finite and > 0"),
    ("negative learning rate", dict(learning_rate=-0.1), ValueError, "learning_rate must be finite and > 0"),
    ("nan learning rate", dict(learning_rate=float("nan")), ValueError, "learning_rate must be finite"),
    ("inf learning rate", dict(learning_rate=float("inf")), ValueError, "learning_rate must be finite"),
    ("int learning rate past float64", dict(learning_rate=10**400), ValueError, "learning_rate must be finite"),
    ("int l2 past float64", dict(l2=10**400), ValueError, "l2 must be finite"),
    ("zero tol for newton", dict(solver="newton", learning_rate=None, tol=0), ValueError, "tol must be finite and > 0"),
    ("string learning rate", dict(learning_rate="0.1"), TypeError, "learning_rate must be a real number"),
    ("negative epochs", dict(epochs=-1), ValueError, "epochs must be >= 0"),
    ("fractional epochs", dict(epochs=2.5), TypeError, "epochs must be an int"),
    ("float epochs", dict(epochs=3.0), TypeError, "epochs must be an int"),
    ("string epochs", dict(epochs="3"), TypeError, "epochs must be an int"),
    ("bool epochs", dict(epochs=True), TypeError, "epochs must be an int"),
    ("unknown reduction", dict(reduction="max"), ValueError, "unknown reduction 'max'"),
    ("unknown init", dict(init="ones"), ValueError, "unknown init 'ones'"),
    ("init not a pair", dict(init=[0.1, 0.2, 0.3]), TypeError, r"init must be .* \(weights, bias\) pair"),
    ("init weights too short", dict(init=([0.1], 0.0)), ValueError, "init weights must have length 2"),
    ("init weights too long", dict(init=([0.1, 0.2, 0.3], 0.0)), ValueError, "init weights must have length 2"),
    ("init bias not scalar", dict(init=([0.1, 0.2], [0.0, 1.0])), ValueError, "init bias must be a single number"),
    ("init nan", dict(init=([0.1, np.nan], 0.0)), ValueError, "init weights and bias must be finite"),
    (
        "init whose penalty overflows",
        dict(init=([1e160, 0.0], 0.0), l2=1.0),
        ValueError,
        r"init weights up to 1e\+160 make the L2 penalty l2/2 \* \|w\|\^2 overflow float64 \(l2=1\)",
    ),
    ("init bias a bool", dict(init=([0.1, 0.2], True)), TypeError, "init bias must be real, got bool"),
    ("init weights bools", dict(init=([True, False], 0.0)), TypeError, "init weights must be real, got bool"),
    ("dtype float16", dict(dtype="float16"), ValueError, "unsupported dtype 'float16'"),
    ("dtype int", dict(dtype=int), ValueError, "unsupported dtype"),
    ("dtype nonsense", dict(dtype="double-ish"), ValueError, "unsupported dtype"),
    ("dtype None", dict(dtype=None), ValueError, "unsupported dtype None"),
    ("masked X", dict(X=np.ma.array(X_OK, mask=X_OK > 15)), TypeError, "X is a masked array"),
    ("masked y", dict(y=np.ma.array(Y_OK, mask=[0, 0, 1])), TypeError, "y is a masked array"),
    ("masked rows of X", dict(X=[np.ma.array(row, mask=[1, 0]) for row in X_OK]), TypeError, "X is a masked array"),
    ("backend not a string", dict(backend=["numpy"]), ValueError, r"unknown backend \['numpy'\]"),
    ("random_state a float", dict(init="normal", random_state=1.5), TypeError, "random_state must be None, an int"),
    (
        "random_state a Generator",
        dict(init="normal", random_state=np.random.default_rng(0)),
        TypeError,
        "random_state must be",
    ),
    ("epochs past the history's memory", dict(epochs=10**12), ValueError, "epochs must be <= 1,000,000,000"),
    ("epochs past float64", dict(epochs=10**400), ValueError, "epochs must be <= 1,000,000,000, got about 1e400"),
    ("epochs past str()'s 4,300 digits", dict(epochs=10**5000), ValueError, "epochs must be <= .*, got about 1e5000"),
    ("solver a numpy string", dict(solver=np.array("gd")), ValueError, "unknown solver array"),
    ("reduction a numpy string", dict(reduction=np.array("sum")), ValueError, "unknown reduction array"),
    (
        "int beyond float64 in X",
        dict(X=[[1.0, 2], [3, 10**400], [4, 5]]),
        ValueError,
        r"X has a number too large.*1e400",
    ),
    ("negative random_state", dict(init="normal", random_state=-1), ValueError, "random_state must be between 0"),
    ("random_state past 2**32", dict(init="normal", random_state=2**32), ValueError, "random_state must be between"),
    ("random_state a string, unused", dict(random_state="42"), TypeError, "random_state must be None, an int"),
    ("negative random_state, unused", dict(random_state=-1), ValueError, "random_state must be between 0"),
    ("generator X", dict(X=(row for row in X_OK)), TypeError, r"X is an iterator \(generator\).*list\(X\)"),
    ("iterator y", dict(y=iter(Y_OK)), TypeError, "y is an iterator"),
    (
        "diverging learning rate",
        dict(X=[[1e200], [1.0], [3.0]], learning_rate=1.0),
        FloatingPointError,
        "training diverged",
    ),
]


@pytest.mark.parametrize("overrides, error, message", [case[1:] for case in REJECTED], ids=[c[0] for c in REJECTED])
def test_rejects_bad_input(backend, overrides, error, message):
    arguments = dict(X=X_OK, y=Y_OK, backend=backend, **FAST)
    arguments.update(overrides)
    arrays = [value for value in arguments.values() if isinstance(value, np.ndarray)]
    snapshots = [array.copy() for array in arrays]
    with pytest.raises(error, match=message):
        fastlogreg.train(arguments.pop("X"), arguments.pop("y"), **arguments)
    for array, snapshot in zip(arrays, snapshots, strict=True):  # refused, and still untouched
        np.testing.assert_array_equal(array, snapshot)


def test_never_modifies_caller_arrays(backend):
    X = np.asfortranarray(X_OK)  # any layout: nothing may be written back
    y = Y_OK.reshape(-1, 1).copy()
    w0, b0 = np.array([0.5, -0.5]), np.array([0.25])
    saved = [a.copy() for a in (X, y, w0, b0)]
    result = fastlogreg.train(X, y, backend=backend, init=(w0, b0), **FAST)
    for original, now in zip(saved, (X, y, w0, b0), strict=True):
        np.testing.assert_array_equal(original, now)
    assert not np.shares_memory(result.weights, w0)


def test_read_only_inputs_are_accepted(backend):
    X, y = X_OK.copy(), Y_OK.copy()
    X.flags.writeable = y.flags.writeable = False
    result = fastlogreg.train(X, y, backend=backend, **FAST)
    assert np.isfinite(result.loss)


def _equivalent_inputs():
    X = X_OK
    padded = np.zeros((6, 4))
    padded[::2, 1::2] = X_OK
    return {
        "lists": (X.tolist(), Y_OK.tolist()),
        "tuples": (tuple(map(tuple, X.tolist())), tuple(Y_OK.tolist())),
        "int X and int y": (X.astype(np.int64), Y_OK.astype(np.int32)),
        "uint8 X": (X.astype(np.uint8), Y_OK),
        "float32 X": (X.astype(np.float32), Y_OK),
        "Fortran order": (np.asfortranarray(X), Y_OK),
        "strided view": (padded[::2, 1::2], Y_OK),
        "y of shape (n, 1)": (X, Y_OK[:, None]),
        "bool y": (X, Y_OK.astype(bool)),
    }


EQUIVALENT = _equivalent_inputs()


@pytest.mark.parametrize("form", EQUIVALENT, ids=list(EQUIVALENT))
def test_accepts_common_input_forms(backend, form):
    X, y = EQUIVALENT[form]
    expected = fastlogreg.train(X_OK, Y_OK, backend=backend, **FAST)
    result = fastlogreg.train(X, y, backend=backend, **FAST)
    np.testing.assert_allclose(result.weights, expected.weights, rtol=1e-12)
    np.testing.assert_allclose(result.loss_history, expected.loss_history, rtol=1e-12)


def test_bool_features_are_accepted(backend):
    X = np.array([[True, False], [False, True], [True, True]])
    result = fastlogreg.train(X, Y_OK, backend=backend, **FAST)
    expected = fastlogreg.train(X.astype(float), Y_OK, backend=backend, **FAST)
    np.testing.assert_array_equal(result.weights, expected.weights)


def test_pandas_inputs(backend):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X_OK, columns=["avg_score", "rebound"])
    labels = pd.Series(Y_OK.astype(int), name="draft")
    result = fastlogreg.train(frame, labels, backend=backend, **FAST)
    expected = fastlogreg.train(X_OK, Y_OK, backend=backend, **FAST)
    np.testing.assert_allclose(result.weights, expected.weights, rtol=1e-12)


@pytest.mark.parametrize("nullable", ["Int64", "Float64", "mixed bool and float"])
def test_pandas_nullable_and_mixed_numeric_frames(backend, nullable):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X_OK, columns=["a", "b"])
    frame = frame.assign(a=frame.a > 12.5) if nullable.startswith("mixed") else frame.astype(nullable)
    expected = fastlogreg.train(np.asarray(frame, dtype=float), Y_OK, backend=backend, **FAST)
    result = fastlogreg.train(frame, Y_OK, backend=backend, **FAST)
    np.testing.assert_array_equal(result.weights, expected.weights)


def test_pandas_missing_value_is_reported_as_nan():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X_OK, columns=["a", "b"]).astype("Float64")
    frame.iloc[1, 0] = pd.NA
    with pytest.raises((ValueError, TypeError), match="NaN|non-numeric"):
        fastlogreg.train(frame, Y_OK)


def test_mixed_type_dataframe_is_rejected():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]})
    with pytest.raises(TypeError, match="X must be real numbers"):
        fastlogreg.train(frame, Y_OK)


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_x_of_the_compute_dtype_is_not_copied(layout):
    base = np.arange(40.0).reshape(8, 5)
    X = {"C": base, "F": np.asfortranarray(base), "strided": base[::2, ::2]}[layout]
    assert np.shares_memory(check_features(X, "float64"), X)
    X32 = X.astype(np.float32, order="K")
    assert np.shares_memory(check_features(X32, "float32"), X32)


def test_predict_checks_its_input(nba):
    result = fastlogreg.train(*nba, backend="numpy", solver="gd", epochs=5)
    with pytest.raises(ValueError, match="X has 2 features, but the model was trained on 3"):
        result.predict_proba([[1.0, 2.0]])
    with pytest.raises(ValueError, match="NaN or infinity"):
        result.predict([[1.0, 2.0, np.nan]])


def test_the_largest_random_state_is_accepted():
    expected = np.random.RandomState(2**32 - 1).randn(2, 1)[:, 0]  # the tutorial's draw, by numpy itself
    result = fastlogreg.train(X_OK, Y_OK, backend="numpy", epochs=0, init="normal", random_state=2**32 - 1)
    np.testing.assert_array_equal(result.weights, expected)


def test_pandas_missing_value_in_a_mixed_frame_is_reported_as_nan():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": pd.array([12, None, 17], dtype="Int64"), "b": [3.0, 4.0, 2.0]})
    with pytest.raises(ValueError, match=r"X contains NaN.*row 1, column 0"):
        fastlogreg.train(frame, Y_OK)


@pytest.mark.parametrize(
    "name, value, error, message",  # train()'s wording for its own counts ("epochs must be an int" above)
    [
        ("n_rows", 2.5, TypeError, "n_rows must be an int, got float 2.5"),
        ("n_rows", 0, ValueError, "n_rows must be >= 1, got 0"),
        ("n_features", True, TypeError, "n_features must be an int, got bool True"),
        ("n_features", -1, ValueError, "n_features must be >= 1, got -1"),
    ],
)
def test_make_nba_like_refuses_counts_as_train_does(name, value, error, message):
    with pytest.raises(error) as made:
        fastlogreg.make_nba_like(**{"n_rows": 10, name: value})
    assert str(made.value) == message


def test_make_nba_like_names_a_negative_random_state():
    with pytest.raises(ValueError, match="random_state must be a non-negative int"):
        fastlogreg.make_nba_like(10, random_state=-1)


def test_make_nba_like_takes_what_numpys_default_rng_takes():
    X, y = fastlogreg.make_nba_like(10, random_state=np.random.SeedSequence(5))
    same, _ = fastlogreg.make_nba_like(10, random_state=np.random.default_rng(np.random.SeedSequence(5)))
    np.testing.assert_array_equal(X, same)


# Where long double is wider than float64 (x86-64 Linux: 80 bits), it holds values below float64's range.
EXTENDED_LONG_DOUBLE = np.finfo(np.longdouble).smallest_subnormal < np.finfo(np.float64).smallest_subnormal


@pytest.mark.skipif(not EXTENDED_LONG_DOUBLE, reason="long double is float64 here: nothing lies below its range")
@pytest.mark.parametrize(
    "dtype, message",
    [
        ("float64", r"below the float64 range \(\|x\| < 4.94e-324, smallest 1e-400\).*; rescale X$"),
        ("float32", r"below the float32 range \(\|x\| < 1.18e-38, smallest 1e-400\).*use dtype='float64'"),
    ],
    ids=["float64", "float32"],
)
def test_long_double_values_below_the_compute_dtype_are_refused(backend, dtype, message):
    # float64 rounds 1e-400 to 0: this X trained as all zeros, converged=True, without a word
    X = np.array([["1e-400", "1"], ["2e-400", "0"], ["3e-400", "1"]]).astype(np.longdouble)
    with pytest.raises(ValueError, match=message):
        fastlogreg.train(X, Y_OK, backend=backend, dtype=dtype, **FAST)


@pytest.mark.skipif(not EXTENDED_LONG_DOUBLE, reason="long double is float64 here: the same values either way")
def test_long_double_values_among_float64s_subnormals_train_as_their_float64s(backend):
    X = np.array([[1e-310, 1.0], [2e-310, 0.0], [3e-310, 1.0]])
    expected = fastlogreg.train(X, Y_OK, backend="python", **FAST)
    result = fastlogreg.train(X.astype(np.longdouble), Y_OK, backend=backend, **FAST)
    np.testing.assert_allclose(result.weights, expected.weights, rtol=1e-12)
    assert result.bias == pytest.approx(expected.bias, rel=1e-12)


@pytest.mark.parametrize("seed", [1.5, True, "1"])
def test_make_nba_like_refuses_a_random_state_of_another_type(seed):
    # a bool, as train() refuses one; a float reached numpy's SeedSequence, whose message names neither
    with pytest.raises(TypeError, match="random_state must be None, an int or a numpy.random.Generator"):
        fastlogreg.make_nba_like(10, random_state=seed)


def test_progress_without_tqdm_is_refused_for_numpys_true_too(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if tqdm were not installed
    for progress in (True, np.bool_(True)):
        with pytest.raises(ImportError, match="pip install tqdm"):
            fastlogreg.train(X_OK, Y_OK, backend="numpy", progress=progress, **FAST)


@pytest.mark.parametrize(
    "X, y, settings, message",
    [
        (np.full((2, 1025), np.nan), [0, 1], dict(solver="newton"), "at most 1024 features"),
        (np.full((3, 2), np.nan), [0, 1], FAST, "different lengths"),
        (np.full((3, 2), np.nan), [0, 1, 2], FAST, "only 0 and 1 labels"),
    ],
    ids=["newton's features", "y's length", "y's labels"],
)
def test_checks_of_shapes_and_labels_come_before_the_pass_over_X(X, y, settings, message):
    # X is all NaN: its one pass would refuse it, so each message shows a cheaper check ran first
    with pytest.raises(ValueError, match=message):
        fastlogreg.train(X, y, backend="numpy", **settings)


def test_a_tensor_that_requires_grad_is_a_type_error_naming_it():
    torch = pytest.importorskip("torch")
    X = torch.ones((4, 2), dtype=torch.float64, requires_grad=True)
    with pytest.raises(TypeError, match=r"^X could not be read as an array: .*detach"):
        fastlogreg.train(X, [0, 1, 0, 1])
    # detached, as the message says, it trains
    assert fastlogreg.train(X.detach(), [0, 1, 0, 1], epochs=1).weights.shape == (2,)


def test_large_inputs_are_checked_in_blocks_side_by_side_and_every_block_counts(monkeypatch):
    from fastlogreg import validation

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((3000, 2)), (rng.random(3000) < 0.5).astype(np.int64)
    checked_whole = fastlogreg.train(X, y, backend="numpy", **FAST)
    monkeypatch.setattr(validation, "PARALLEL_CHECK_ENTRIES", 16)  # these 3,000-row inputs now count as large
    monkeypatch.setattr(validation, "_check_threads", lambda: 4)  # four blocks of 750 rows, on any machine
    blocks = []
    validation._side_by_side(lambda block: blocks.append(block.shape[0]), X)
    assert sorted(blocks) == [750] * 4  # a block a thread, every row once
    checked_in_blocks = fastlogreg.train(X, y, backend="numpy", **FAST)
    np.testing.assert_array_equal(checked_in_blocks.weights, checked_whole.weights)
    for row in (0, 1600, 2999):  # in the first block, the third and the last
        bad_y, bad_X = y.copy(), X.copy()
        bad_y[row], bad_X[row, 1] = 3, np.nan
        with pytest.raises(ValueError, match="only 0 and 1 labels, found 3"):
            fastlogreg.train(X, bad_y, backend="numpy", **FAST)
        with pytest.raises(ValueError, match=rf"NaN or infinity \(1 entries; first at row {row}, column 1\)"):
            fastlogreg.train(bad_X, y, backend="numpy", **FAST)


def test_sums_of_large_finite_values_overflow_without_a_warning(monkeypatch):
    # the check sums X to prove it finite: a sum of large values overflows, and must do so quietly, in the
    # check's own threads too (NumPy keeps np.errstate per thread)
    from fastlogreg import validation

    X = np.full((1000, 2), 1e308)
    X[::2] *= -0.5
    y = np.arange(1000) % 2
    monkeypatch.setattr(validation, "PARALLEL_CHECK_ENTRIES", 16)
    monkeypatch.setattr(validation, "_check_threads", lambda: 2)
    assert check_features(X) is X  # checked, finite, no copy
    half = np.full((1000, 2), 60000.0, dtype=np.float16)  # its sum passes float16's largest, 65504
    np.testing.assert_array_equal(check_features(half), 60000.0)
    assert np.isfinite(fastlogreg.train(X / 1e300, y, backend="numpy", **FAST).loss)


@pytest.mark.skipif(np.finfo(np.longdouble).maxexp <= np.finfo(np.float64).maxexp, reason="long double is float64 here")
def test_long_double_x_is_read_as_float64_does():
    # subnormal in float64, and no reason to refuse: float64 input may hold them too
    X = np.array([[1e-310, 1.0], [1.0, 2.0], [3.0, 0.5]])
    as_float64 = fastlogreg.train(X, [0, 1, 1], **FAST)
    as_long_double = fastlogreg.train(X.astype(np.longdouble), [0, 1, 1], **FAST)
    np.testing.assert_array_equal(as_long_double.weights, as_float64.weights)
    with pytest.raises(ValueError, match="beyond the float64 range"):
        fastlogreg.train(np.array([[np.longdouble("1e400")], [1.0]]), [0, 1])
    # in an object array, as a huge int is: named, without an overflow warning on the way
    beyond = np.array([[np.longdouble("1e400")], [1.0]], dtype=object)
    with pytest.raises(ValueError, match=r"X has a number too large for float64 \(about 1e400\) at \[0, 0\]"):
        fastlogreg.train(beyond, [0, 1])
