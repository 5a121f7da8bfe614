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
    path = tmp_path / "model.json"
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
        "version",
    ):
        assert getattr(loaded, name) == getattr(trained, name), name
    assert loaded.version == fastlogreg.__version__
    np.testing.assert_array_equal(loaded.predict_proba(nba[0]), trained.predict_proba(nba[0]))
    assert json.loads(path.read_text())["format"] == "fastlogreg-model"


def _damage(document):
    yield "not json", "{ this is not"
    yield "foreign json", json.dumps({"hello": "world"})
    yield "future format", json.dumps({**document, "format_version": 99})
    model = document["model"]
    yield "missing field", json.dumps({**document, "model": {k: v for k, v in model.items() if k != "bias"}})
    yield "history length", json.dumps({**document, "model": {**model, "loss_history": model["loss_history"][:-1]}})
    yield "text weights", json.dumps({**document, "model": {**model, "weights": ["a", "b", "c"]}})
    yield "infinite bias", json.dumps({**document, "model": {**model, "bias": 1e999}})
    yield "text bias", json.dumps({**document, "model": {**model, "bias": "0.5"}})
    yield "text epochs", json.dumps({**document, "model": {**model, "epochs": "lots"}})
    yield "negative epochs", json.dumps({**document, "model": {**model, "epochs": -7}})
    yield "negative l2", json.dumps({**document, "model": {**model, "l2": -1}})
    yield "unknown backend", json.dumps({**document, "model": {**model, "backend": "evil"}})
    yield "text flag", json.dumps({**document, "model": {**model, "converged": "no"}})
    yield "list dtype", json.dumps({**document, "model": {**model, "dtype": ["x"]}})
    yield "float epochs_run", json.dumps({**document, "model": {**model, "epochs_run": 300.0}})
    yield "bool format version", json.dumps({**document, "format_version": True})
    yield (
        "nan in history",
        json.dumps({**document, "model": {**model, "loss_history": [float("nan")] * len(model["loss_history"])}}),
    )
    yield "huge weight", json.dumps({**document, "model": {**model, "weights": [10**400, 1, 2]}})
    yield "deep nesting", "[" * 100_000 + "]" * 100_000


def test_damaged_or_foreign_files_are_refused(trained, tmp_path):
    trained.save(tmp_path / "good.json")
    document = json.loads((tmp_path / "good.json").read_text())
    for _name, text in _damage(document):
        (tmp_path / "bad.json").write_text(text)
        with pytest.raises(ValueError, match="model file"):
            fastlogreg.load(tmp_path / "bad.json")
    (tmp_path / "bytes.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(ValueError, match="not a fastlogreg model file"):
        fastlogreg.load(tmp_path / "bytes.bin")


def test_score_and_log_loss(trained, nba):
    X, y = nba
    p = trained.predict_proba(X)
    assert trained.score(X, y) == np.mean((p > 0.5) == y)
    assert trained.log_loss(X, y) == pytest.approx(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)), rel=1e-12)
    metrics = pytest.importorskip("sklearn.metrics")
    assert trained.log_loss(X, y) == pytest.approx(metrics.log_loss(y, p), rel=1e-12)
    assert trained.score(X, y) == metrics.accuracy_score(y, trained.predict(X))


def test_score_checks_its_labels(trained, nba):
    with pytest.raises(ValueError, match="only 0 and 1 labels"):
        trained.score(nba[0], nba[1] * 2)
    with pytest.raises(ValueError, match="threshold must be a number in"):
        trained.predict(nba[0], threshold="0.5")


def test_repr_and_summary(trained):
    text = repr(trained)
    assert text.startswith("TrainResult(weights=[") and "epochs_run=" in text and "backend='numpy'" in text
    summary = trained.summary()
    assert "backend numpy" in summary and f"epochs {trained.epochs_run} of 300" in summary
    assert f"{trained.loss:.10g}" in summary
