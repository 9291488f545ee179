"""The Entra stand-in every SharePoint test signs in against (one per module), and a site of the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ragwarden.testing.microsoft.entra import FakeMicrosoft
from tests.sharepoint.emulator_site import Site


@pytest.fixture(scope="module")
def ms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeMicrosoft]:
    authority = FakeMicrosoft(tmp_path_factory.mktemp("sp-entra"))
    yield authority
    authority.stop()


@pytest.fixture
def site(ms: FakeMicrosoft, tmp_path: Path) -> Iterator[Site]:
    s = Site(ms, tmp_path)
    yield s
    s.close()
