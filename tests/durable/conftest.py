from __future__ import annotations

import pytest

from tests.durable import lying_backend
from tests.ops.conftest import cast, ops_settings

BACKEND = "tests.durable.lying_backend:LyingBackend"


@pytest.fixture(autouse=True)
def _honest_again():
    lying_backend.reset()
    yield
    lying_backend.reset()


@pytest.fixture
def lying(make_runner):
    """The ops cast on the demo data, behind a backend that can lie after applying a change."""
    return cast(make_runner(settings=ops_settings(CHATOPS_BACKEND=BACKEND)))
