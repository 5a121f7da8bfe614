"""LogisticRegressionGD follows scikit-learn's estimator conventions."""

import dataclasses
import inspect
import math

import numpy as np
import pytest

import fastlogreg
from fastlogreg import LogisticRegressionGD


def test_fit_predict_and_fitted_attributes(nba, backend):
    X, y = nba
    labels = np.where(y == 1, "drafted", "passed")
    model = LogisticRegressionGD(backend=backend, learning_rate=0.001, epochs=3000, reduction="sum")
    assert model.fit(X, labels) is model
    result = fastlogreg.train(X, y, backend=backend, learning_rate=0.001, epochs=3000, reduction="sum")
    assert model.classes_.tolist() == ["drafted", "passed"]  # sorted: "passed" is the positive class
    # the positive class is "passed" (label 0): from zeros, the model learns the mirror image of train()'s
    np.testing.assert_allclose(model.coef_[0], -result.weights, rtol=1e-9)
    assert model.intercept_.shape == (1,) and model.n_features_in_ == 3 and model.n_iter_ == 3000
    proba = model.predict_proba(X)
    assert proba.shape == (12, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, 0], result.predict_proba(X), rtol=1e-9)
    assert model.predict(X).tolist() == np.where(result.predict(X) == 1, "drafted", "passed").tolist()
    assert model.score(X, labels) == result.score(X, y)


def test_n_iter_counts_the_epochs_run_not_the_limit(backend):
    X, y = fastlogreg.make_nba_like(200, random_state=3)
    model = LogisticRegressionGD(backend=backend, learning_rate=0.01, epochs=100_000, tol=1e-4).fit(X, y)
    by_hand = fastlogreg.train(X, y, backend="python", learning_rate=0.01, epochs=100_000, tol=1e-4)
    assert model.n_iter_ == by_hand.epochs_run < 100_000


def test_get_and_set_params():
    model = LogisticRegressionGD(epochs=5)
    assert model.get_params()["epochs"] == 5 and set(model.get_params()) >= {"learning_rate", "l2", "backend"}
    assert model.set_params(l2=0.5, tol=1e-6) is model and (model.l2, model.tol) == (0.5, 1e-6)
    with pytest.raises(ValueError, match="invalid parameter 'alpha'"):
        model.set_params(alpha=1)
    assert repr(model) == "LogisticRegressionGD(epochs=5, l2=0.5, tol=1e-06)"
    # an array parameter (refused only by fit) compares with no default elementwise: repr never raises
    assert repr(LogisticRegressionGD(init=(np.zeros(2), 0.0))) == "LogisticRegressionGD(init=(array([0., 0.]), 0.0))"
    shown = "LogisticRegressionGD(learning_rate=array([0.1, 0.2]))"
    assert repr(LogisticRegressionGD(learning_rate=np.array([0.1, 0.2]))) == shown


def test_takes_every_keyword_of_train_with_its_defaults(nba, capsys):
    # the README: "takes train()'s keywords, with train()'s defaults"
    keywords = {k: p.default for k, p in inspect.signature(fastlogreg.train).parameters.items() if k not in "Xy"}
    assert LogisticRegressionGD().get_params() == keywords
    calls = []
    options = dict(solver="gd", epochs=30, progress=True, callback=lambda e, loss: calls.append(e), callback_every=10)
    LogisticRegressionGD(**options).fit(*nba)
    assert calls == [10, 20] and "fastlogreg[numba] gd" in capsys.readouterr().err


def test_errors_before_fit_and_on_bad_targets(nba):
    X, y = nba
    with pytest.raises(ValueError, match="not fitted yet"):
        LogisticRegressionGD().predict(X)
    with pytest.raises(ValueError, match="Only binary classification"):
        LogisticRegressionGD().fit(X, np.arange(12) % 3)
    with pytest.raises(ValueError, match="only 1 class"):
        LogisticRegressionGD().fit(X, np.ones(12))
    with pytest.raises(ValueError, match="continuous"):
        LogisticRegressionGD().fit(X, np.linspace(0, 1, 12))
    with pytest.raises(ValueError, match="y contains NaN"):  # a missing label, not a continuous target
        LogisticRegressionGD().fit(X, np.where(np.arange(12) == 4, np.nan, y))
    with pytest.raises(ValueError, match="y contains NaN"):  # nor numpy's '<' not supported, for strings
        LogisticRegressionGD().fit(X, np.array(["a", "b", None] * 4, dtype=object))
    with pytest.raises(TypeError, match="one comparable kind"):  # not numpy's own '<' not supported
        LogisticRegressionGD().fit(X, np.array(["a", 1] * 6, dtype=object))
    with pytest.raises(ValueError, match="expecting 3 features"):
        LogisticRegressionGD(solver="gd", epochs=3).fit(X, y).predict(X[:, :2])


# deliberately not a subclass of sklearn's BaseEstimator (no dependency); the checks note it and go on
@pytest.mark.filterwarnings("ignore:Estimator LogisticRegressionGD does not inherit:UserWarning")
@pytest.mark.filterwarnings("ignore:Skipping check check_array_api_input")
def test_scikit_learn_check_estimator():
    estimator_checks = pytest.importorskip("sklearn.utils.estimator_checks")
    estimator_checks.check_estimator(
        LogisticRegressionGD(epochs=200, learning_rate=0.1, standardize=True),
        expected_failed_checks={
            "check_dtype_object": "fastlogreg's own message names the problem; scikit-learn wants numpy's wording",
            "check_supervised_y_2d": "y of shape (n, 1) is part of fastlogreg's API, accepted without a warning",
        },
    )


def test_pipeline_and_cross_validation():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = fastlogreg.make_nba_like(3000, random_state=1)
    pipeline = make_pipeline(StandardScaler(), LogisticRegressionGD(learning_rate=0.5, epochs=300))
    scores = cross_val_score(pipeline, X, y, cv=5)
    reference = cross_val_score(
        make_pipeline(StandardScaler(), sklearn.linear_model.LogisticRegression(C=1e6)), X, y, cv=5
    )
    assert scores.shape == (5,) and scores.mean() > 0.6
    np.testing.assert_allclose(scores, reference, atol=0.02)  # same model family, same accuracy


def test_feature_names_are_remembered_and_checked(nba):
    pd = pytest.importorskip("pandas")
    X, y = nba
    frame = pd.DataFrame(X, columns=["avg_score", "rebound", "asist"])
    model = LogisticRegressionGD(solver="gd", epochs=50).fit(frame, y)
    assert model.feature_names_in_.tolist() == ["avg_score", "rebound", "asist"]
    np.testing.assert_allclose(model.predict_proba(frame), model.predict_proba(X), rtol=1e-12)  # arrays: by position
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(frame[["asist", "rebound", "avg_score"]])
    assert not hasattr(LogisticRegressionGD(solver="gd", epochs=5).fit(X, y), "feature_names_in_")


def test_a_frame_whose_names_cannot_be_checked_is_refused(nba):
    pd = pytest.importorskip("pandas")
    X, y = nba
    frame = pd.DataFrame(X, columns=["avg_score", "rebound", "asist"])
    reordered = frame[["asist", "rebound", "avg_score"]]
    # fitted on names: a frame reordered, with one name not a string, or with no string names at all, would
    # be read by position, a silent wrong answer (probabilities of 0.99 where 0.56 is right)
    mixed, numbered = reordered.rename(columns={"avg_score": 0}), pd.DataFrame(reordered.to_numpy())
    for model in (LogisticRegressionGD(solver="gd", epochs=50).fit(frame, y), fastlogreg.train(frame, y, epochs=50)):
        with pytest.raises(TypeError, match=r"column names mix strings with other types \(int, str\)"):
            model.predict_proba(mixed)
        with pytest.raises(ValueError, match=r"should match .*: got \[0, 1, 2\], fitted on \['avg_score'"):
            model.predict_proba(numbered)
    with pytest.raises(TypeError, match="column names mix strings"):  # nor can they be remembered at fit
        LogisticRegressionGD(solver="gd", epochs=5).fit(mixed, y)


@pytest.mark.parametrize("columns", ["numbered", "multi-level"])
def test_a_frame_without_string_names_is_read_as_an_array_is(nba, tmp_path, columns):
    # as in scikit-learn: no names kept (a frame's 0, 1, 2 or tuples would be refused by the model file)
    pd = pytest.importorskip("pandas")
    X, y = nba
    frame = pd.DataFrame(X)
    if columns == "multi-level":
        frame.columns = pd.MultiIndex.from_tuples([("a", "x"), ("a", "y"), ("b", "x")])
    model = LogisticRegressionGD(solver="gd", epochs=50).fit(frame, y)
    assert not hasattr(model, "feature_names_in_")
    np.testing.assert_allclose(model.predict_proba(frame), model.predict_proba(X), rtol=1e-14)  # frame: F-order
    result = fastlogreg.train(frame, y, epochs=50)
    assert result.feature_names is None
    result.save(tmp_path / "model.json")
    loaded = fastlogreg.load(tmp_path / "model.json")
    np.testing.assert_allclose(loaded.predict_proba(frame), result.predict_proba(X), rtol=1e-14)


def test_score_refuses_labels_that_do_not_match_the_rows(nba):
    X, y = nba
    model = LogisticRegressionGD(solver="gd", epochs=5).fit(X, y)
    for wrong in ([1], y[:11], np.column_stack([y, y])):
        with pytest.raises(ValueError, match="X has 12 rows, y has shape"):
            model.score(X, wrong)
    accuracy = np.count_nonzero(model.predict(X) == y) / 12
    assert model.score(X, y) == model.score(X, y[:, np.newaxis]) == accuracy
    # missing labels, or labels of another kind than the classes fitted: an error, not a silent accuracy
    with pytest.raises(ValueError, match="y contains NaN"):
        model.score(X, np.where(np.arange(12) == 4, np.nan, y))
    with pytest.raises(ValueError, match=r"none of y's labels is among the classes fitted, \[0.0, 1.0\]"):
        model.score(X, y.astype(str))
    assert model.score(X, y.astype(int).astype(object)) == accuracy  # numbers in an object array are numbers
    named = LogisticRegressionGD(solver="gd", epochs=5).fit(X, np.where(y == 1, "yes", "no"))
    with pytest.raises(ValueError, match=r"none of y's labels is among the classes fitted, \['no', 'yes'\]"):
        named.score(X, y)
    with pytest.raises(ValueError, match="y contains NaN"):  # a categorical's missing label comes as NaN
        named.score(X, np.array(["yes", "no", np.nan] * 4, dtype=object))


def test_complex_labels_are_refused_as_train_refuses_them(nba):
    X, y = nba
    with pytest.raises(ValueError, match="Complex data not supported: y's class labels"):
        LogisticRegressionGD(solver="gd", epochs=5).fit(X, y.astype(complex))


def test_masked_labels_are_refused_not_read_through_their_mask(nba):
    X, y = nba
    masked = np.ma.array(y, mask=np.arange(12) < 4)  # np.asarray would drop the mask: all 12 labels used
    with pytest.raises(TypeError, match="y is a masked array"):
        LogisticRegressionGD(solver="gd", epochs=5).fit(X, masked)
    with pytest.raises(TypeError, match="y is a masked array"):
        LogisticRegressionGD(solver="gd", epochs=5).fit(X, y).score(X, masked)


def test_probabilities_stay_positive_and_predictions_follow_the_sign_of_z(nba):
    model = LogisticRegressionGD(solver="gd", epochs=5).fit(nba[0][:, :1], nba[1])
    model.result_ = dataclasses.replace(model.result_, weights=np.array([1.0]), bias=0.0)  # z = x exactly
    X = np.array([[40.0], [-40.0], [1e-20], [-1e-20], [0.0]])
    tail = 1.0 / (1.0 + math.exp(40.0))  # sigmoid(-40) = 4.25e-18, written independently
    proba = model.predict_proba(X)
    assert proba[0, 0] == pytest.approx(tail, rel=1e-15, abs=0) and proba[1, 1] == pytest.approx(tail, rel=1e-15, abs=0)
    assert proba[0, 1] == proba[1, 0] == 1.0
    # sigmoid(z) > 1/2 exactly where z > 0, though sigmoid(1e-20) rounds to 0.5 (scikit-learn's rule too)
    assert model.predict(X).tolist() == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert model.result_.predict(X).tolist() == [1, 0, 1, 0, 0]
