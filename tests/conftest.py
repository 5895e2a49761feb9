import pytest


@pytest.fixture(scope='module')
def fresh_cache(tmp_path_factory):
    "An empty avbook cache (`AVBOOK_CACHE`) shared by the tests of one module."
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv('AVBOOK_CACHE', str(tmp_path_factory.mktemp('avbook-cache')))
        yield
