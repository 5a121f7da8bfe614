import pytest
from problems import REFERENCE

import fastlogreg

# Every in-process backend runs every test. The dask backend adds milliseconds of scheduling to each
# epoch, so test_dask.py checks it against the reference on its own, on the same behaviours.
BACKENDS = tuple(name for name in fastlogreg.available_backends() if name != "dask")
# The backends an agreement test compares with the reference (the reference against itself cannot fail).
OTHER_BACKENDS = tuple(name for name in BACKENDS if name != REFERENCE)


@pytest.fixture(params=BACKENDS, ids=[f"backend={name}" for name in BACKENDS])
def backend(request):
    return request.param


@pytest.fixture(params=OTHER_BACKENDS, ids=[f"backend={name}" for name in OTHER_BACKENDS])
def other_backend(request):
    """A backend other than the reference, for the tests that compare the two."""
    return request.param


@pytest.fixture
def nba():
    return fastlogreg.load_nba_rookie_draft()
