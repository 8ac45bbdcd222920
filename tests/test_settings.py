from pathlib import Path

import pytest
from pydantic import ValidationError

from helpline.settings import Settings, load_settings, masked


def test_defaults_put_sqlite_in_the_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HELPLINE_SETTINGS_FILE", raising=False)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path))
    s = load_settings()
    assert s.sip.port == 5060
    assert s.database_url == f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}"


def test_yaml_file_is_overridden_by_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    f = tmp_path / "helpline.yaml"
    f.write_text("sip:\n  port: 5070\n  host: 0.0.0.0\nhttp:\n  port: 9000\n")
    monkeypatch.setenv("HELPLINE_SIP_PORT", "5080")
    s = load_settings(f)
    assert (s.sip.host, s.sip.port, s.http.port) == ("0.0.0.0", 5080, 9000)


def test_settings_are_immutable() -> None:
    s = Settings()
    with pytest.raises(ValidationError):
        s.log_level = "DEBUG"  # type: ignore[misc]


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_DATABASE_URL", "postgresql+asyncpg://hl:s3cret@127.0.0.1:5432/hl")
    s = Settings()
    assert "s3cret" not in repr(s)
    shown = masked(s)
    assert shown["database"]["url"] == "postgresql+asyncpg://hl:**********@127.0.0.1:5432/hl"
    assert s.database_url.endswith("s3cret@127.0.0.1:5432/hl")


def test_unknown_key_in_yaml_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    f = tmp_path / "helpline.yaml"
    f.write_text("sip:\n  prot: 5070\n")
    with pytest.raises(ValidationError, match="prot"):
        load_settings(f)
