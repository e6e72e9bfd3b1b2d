import pytest
from flask_babel import force_locale

from .world import build


@pytest.fixture
def world(make):
    return build(make)


@pytest.fixture(autouse=True)
def english(app):
    """Messages in the source language, so that tests name the rule that refused whatever the catalogs say."""
    with force_locale("en"):
        yield
