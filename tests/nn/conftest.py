"""Fixtures shared by the nn tests."""
import pytest

from nn.data import datasets


@pytest.fixture
def no_dataset_anywhere(monkeypatch, tmp_path):
    """Make every place the dataset loaders search empty, whatever this machine holds.

    The environment variables are cleared or pointed into ``tmp_path``, and the search list is
    cut down to directories inside ``tmp_path``: this also hides operating-system folders
    (Debian's ``dataset-fashion-mnist`` in /usr/share/datasets) and any location added to the
    list later. Downloads go to a mirror that does not exist, so no test reaches the network.
    """
    for name in ("LUCIDGRAD_DATA", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LUCIDGRAD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LUCIDGRAD_MIRROR", (tmp_path / "no-mirror").as_uri())
    everywhere = datasets.search_dirs

    def only_under_tmp_path(source, path=None):
        return [d for d in everywhere(source, path) if d == tmp_path or tmp_path in d.parents]

    monkeypatch.setattr(datasets, "search_dirs", only_under_tmp_path)
    return tmp_path
