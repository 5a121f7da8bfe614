"""Saving and loading models; score, log_loss and the readable summaries."""

import json

import numpy as np
import pytest

import fastlogreg


@pytest.fixture
def trained(nba):
    return fastlogreg.train(
        *nba,
        backend="numpy",
        learning_rate=0.001,
        epochs=300,
        reduction="sum",
        init="normal",
        random_state=220104,
        l2=0.01,
        tol=1e-12,
    )


def test_save_and_load_round_trip_exactly(trained, tmp_path, nba):
    _assert_round_trip(trained, tmp_path / "model.json", nba[0])


def test_a_newton_float32_standardized_model_with_names_round_trips(tmp_path, nba):
    X, y = nba
    columns = {name: X[:, j] for j, name in enumerate(["points", "rebounds", "assists"])}
    frame = pytest.importorskip("pandas").DataFrame(columns)
    trained = fastlogreg.train(frame, y, backend="numpy", dtype="float32", standardize=True, l2=0.1)
    assert trained.solver == "newton" and trained.feature_names == ("points", "rebounds", "assists")
    _assert_round_trip(trained, tmp_path / "model.json", frame)


def _assert_round_trip(trained, path, X):
    trained.save(path)
    loaded = fastlogreg.load(path)
    np.testing.assert_array_equal(loaded.weights, trained.weights)
    np.testing.assert_array_equal(loaded.loss_history, trained.loss_history)
    for name in (
        "bias",
        "loss",
        "epochs_run",
        "converged",
        "backend",
        "reduction",
        "learning_rate",
        "epochs",
        "l2",
        "tol",
        "standardize",
        "dtype",
        "solver",
        "feature_names",
        "version",
    ):
        assert getattr(loaded, name) == getattr(trained, name), name
    assert loaded.version == fastlogreg.__version__
    np.testing.assert_array_equal(loaded.predict_proba(X), trained.predict_proba(X))
    assert json.loads(path.read_text())["format"] == "fastlogreg-model"


def _model_with(document, **fields):
    """The saved document with some fields of its model replaced."""
    return json.dumps({**document, "model": {**document["model"], **fields}})


def _named(document, names):
    """The document as format 3, whose models have feature names, with these."""
    return json.dumps({**document, "format_version": 3, "model": {**document["model"], "feature_names": names}})


def _without_bias(document):
    return json.dumps({**document, "model": {k: v for k, v in document["model"].items() if k != "bias"}})


# Each damage turns the saved document of a good model into the text of a file load() must refuse.
DAMAGE = {
    "not json": lambda document: "{ this is not",
    "foreign json": lambda document: json.dumps({"hello": "world"}),
    "future format": lambda document: json.dumps({**document, "format_version": 99}),
    "missing field": _without_bias,
    "history length": lambda document: _model_with(document, loss_history=document["model"]["loss_history"][:-1]),
    "text weights": lambda document: _model_with(document, weights=["a", "b", "c"]),
    "infinite bias": lambda document: _model_with(document, bias=1e999),
    "text bias": lambda document: _model_with(document, bias="0.5"),
    "text epochs": lambda document: _model_with(document, epochs="lots"),
    "negative epochs": lambda document: _model_with(document, epochs=-7),
    "negative l2": lambda document: _model_with(document, l2=-1),
    "unknown backend": lambda document: _model_with(document, backend="evil"),
    "text flag": lambda document: _model_with(document, converged="no"),
    "text standardize flag": lambda document: _model_with(document, standardize="no"),
    "list dtype": lambda document: _model_with(document, dtype=["x"]),
    "float epochs_run": lambda document: _model_with(document, epochs_run=300.0),
    "bool format version": lambda document: json.dumps({**document, "format_version": True}),
    "nan in history": lambda document: _model_with(
        document, loss_history=[float("nan")] * len(document["model"]["loss_history"])
    ),
    "huge weight": lambda document: _model_with(document, weights=[10**400, 1, 2]),
    "deep nesting": lambda document: "[" * 100_000 + "]" * 100_000,
    "an integer past Python's digit limit": lambda document: '{"format": 1' + "0" * 5000 + "}",
    "gd without a learning rate": lambda document: _model_with(document, learning_rate=None),
    "newton with a learning rate": lambda document: _model_with(document, solver="newton"),
    "newton without tol": lambda document: _model_with(document, solver="newton", learning_rate=None, tol=None),
    "more epochs run than asked": lambda document: _model_with(document, epochs=document["model"]["epochs_run"] - 1),
    "negative loss": lambda document: _model_with(document, loss=-0.5),
    "negative history": lambda document: _model_with(
        document, loss_history=[-1.0] * len(document["model"]["loss_history"])
    ),
    "epochs beyond train()'s limit": lambda document: _model_with(document, epochs=10**30),
    "too few feature names": lambda document: _named(document, ["a", "b"]),
    "feature names not text": lambda document: _named(document, [1, 2, 3]),
    "feature names in a version 2 file": lambda document: _model_with(document, feature_names=["a", "b", "c"]),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_damaged_or_foreign_files_are_refused(trained, tmp_path, damage):
    trained.save(tmp_path / "good.json")
    (tmp_path / "bad.json").write_text(damage(json.loads((tmp_path / "good.json").read_text())))
    with pytest.raises(ValueError, match="model file"):
        fastlogreg.load(tmp_path / "bad.json")


def test_feature_names_round_trip_and_are_checked(nba, tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(nba[0], columns=["avg_score", "rebound", "asist"])
    trained = fastlogreg.train(frame, nba[1], backend="numpy")
    assert trained.feature_names == ("avg_score", "rebound", "asist")
    trained.save(tmp_path / "named.json")
    assert json.loads((tmp_path / "named.json").read_text())["format_version"] == 3
    loaded = fastlogreg.load(tmp_path / "named.json")
    assert loaded.feature_names == trained.feature_names
    # a frame's columns by name, in the fitted order; an array by position
    np.testing.assert_allclose(loaded.predict_proba(frame), trained.predict_proba(nba[0]), rtol=1e-15)
    for model in (trained, loaded):
        with pytest.raises(ValueError, match="feature names should match"):
            model.predict_proba(frame[["rebound", "avg_score", "asist"]])
    assert fastlogreg.train(nba[0], nba[1], backend="numpy").feature_names is None


def test_a_file_saved_with_a_byte_order_mark_loads(trained, tmp_path, nba):
    trained.save(tmp_path / "model.json")  # as some Windows editors save it again
    (tmp_path / "bom.json").write_text("\ufeff" + (tmp_path / "model.json").read_text(), encoding="utf-8")
    np.testing.assert_array_equal(fastlogreg.load(tmp_path / "bom.json").weights, trained.weights)


def test_a_model_without_feature_names_is_saved_as_format_2(trained, tmp_path, nba):
    # the format fastlogreg wrote before names, which it still reads, and which older versions read too
    trained.save(tmp_path / "model.json")
    document = json.loads((tmp_path / "model.json").read_text())
    assert document["format_version"] == 2 and "feature_names" not in document["model"]
    loaded = fastlogreg.load(tmp_path / "model.json")
    assert loaded.feature_names is None
    np.testing.assert_array_equal(loaded.predict_proba(nba[0]), trained.predict_proba(nba[0]))


def test_a_newton_model_round_trips(nba, tmp_path):
    trained = fastlogreg.train(*nba, backend="numpy", l2=0.1)
    trained.save(tmp_path / "newton.json")
    loaded = fastlogreg.load(tmp_path / "newton.json")
    assert (loaded.solver, loaded.learning_rate, loaded.tol) == ("newton", None, trained.tol)
    assert loaded.summary() == trained.summary()


def test_binary_files_are_refused(tmp_path):
    (tmp_path / "bytes.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(ValueError, match="not a fastlogreg model file"):
        fastlogreg.load(tmp_path / "bytes.bin")


def test_score_and_log_loss(trained, nba):
    X, y = nba
    p = trained.predict_proba(X)
    assert trained.score(X, y) == np.mean((p > 0.5) == y)
    assert trained.log_loss(X, y) == pytest.approx(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)), rel=1e-12, abs=0)
    metrics = pytest.importorskip("sklearn.metrics")
    assert trained.log_loss(X, y) == pytest.approx(metrics.log_loss(y, p), rel=1e-12, abs=0)
    assert trained.score(X, y) == metrics.accuracy_score(y, trained.predict(X))


def test_score_checks_its_labels(trained, nba):
    with pytest.raises(ValueError, match="only 0 and 1 labels"):
        trained.score(nba[0], nba[1] * 2)
    with pytest.raises(TypeError, match="threshold must be a real number, got str"):
        trained.predict(nba[0], threshold="0.5")
    for outside in (1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\]"):
            trained.predict(nba[0], threshold=outside)
    for same in (np.float32(0.5), np.float64(0.5), 0.5):  # numpy's floats are real numbers too
        np.testing.assert_array_equal(trained.predict(nba[0], threshold=same), trained.predict(nba[0]))


def test_repr_and_summary(trained):
    text = repr(trained)
    assert text.startswith("TrainResult(weights=[") and "epochs_run=" in text and "backend='numpy'" in text
    summary = trained.summary()
    assert "backend numpy" in summary and f"epochs {trained.epochs_run} of 300" in summary
    assert f"{trained.loss:.10g}" in summary
