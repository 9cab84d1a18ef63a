"""docs/networks.md is the capability matrix generated from the providers: fail when stale."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from keryx.networks import matrix, registry

DOC = Path(__file__).resolve().parent.parent / "docs" / "networks.md"


def test_docs_networks_md_is_current() -> None:
    committed = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert committed == matrix.render(), (
        "docs/networks.md is stale: run `keryx networks matrix --write` and commit it."
    )


def test_matrix_covers_every_registered_network() -> None:
    text = matrix.render()
    for name in registry.PROVIDERS:
        cls = registry.get_provider_class(name)
        assert f"`{name}`" in text and cls.display_name in text
    # Test-only networks registered at run time stay out of the docs.
    assert "loopnet" not in text


def test_check_flag_fails_on_a_stale_file(tmp_path, monkeypatch) -> None:
    from keryx.channels.management.commands import networks

    stale = tmp_path / "networks.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(networks, "DOC", stale)
    with pytest.raises(CommandError, match="keryx networks matrix --write"):
        call_command("networks", "matrix", "--check")
    call_command("networks", "matrix", "--write", stdout=StringIO())
    assert stale.read_text(encoding="utf-8") == matrix.render()
    call_command("networks", "matrix", "--check")
