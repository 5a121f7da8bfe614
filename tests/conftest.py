import pytest

import fastlogreg

# Every in-process backend runs every test. The dask backend adds milliseconds of scheduling to each
# epoch, so test_dask.py checks it against the numba backend instead, on the same behaviours.
BACKENDS = tuple(name for name in fastlogreg.available_backends() if name != "dask")


@pytest.fixture(params=BACKENDS, ids=[f"backend={name}" for name in BACKENDS])
def backend(request):
    return request.param


@pytest.fixture
def nba():
    return fastlogreg.load_nba_rookie_draft()
