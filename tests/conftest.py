import pytest

import fastlogreg

BACKENDS = fastlogreg.available_backends()


@pytest.fixture(params=BACKENDS, ids=[f"backend={name}" for name in BACKENDS])
def backend(request):
    return request.param


@pytest.fixture
def nba():
    return fastlogreg.load_nba_rookie_draft()
