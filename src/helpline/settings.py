"""Settings: one typed, immutable object, read once at start.

Layers, lowest first: the defaults below < a YAML file (``--settings FILE`` or
``HELPLINE_SETTINGS_FILE``) < ``HELPLINE_*`` environment variables. Nested keys join with an
underscore after the section name: ``sip.port`` is ``HELPLINE_SIP_PORT``, ``database.url`` is
``HELPLINE_DATABASE_URL``. Secrets are ``SecretStr`` so that ``repr`` and ``check-config`` mask them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatabaseSettings(_Section):
    # Empty means SQLite in the data folder; a URL such as
    # postgresql+asyncpg://user:pass@127.0.0.1:5432/helpline selects PostgreSQL.
    url: SecretStr | None = None
    echo: bool = False


class HttpSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 8080


class SipUserSettings(_Section):
    """A phone that registers here (an agent's desk phone or softphone)."""

    password: SecretStr
    agent: str | None = None  # the agent id it rings for; default: the user name
    dial_out: bool = True  # may call external numbers through a trunk


class TrunkSettings(_Section):
    """A carrier: where its calls come from, how it authenticates, where calls out go."""

    allow_from: tuple[str, ...] = ()  # source addresses or networks (CIDR) trusted as this trunk
    username: str | None = None  # digest credentials a trunk may present instead
    password: SecretStr | None = None
    address: str | None = None  # host:port that calls out (callbacks, external agents) go to
    dial_out: bool = False  # calls arriving from this trunk may go out again


class DidSettings(_Section):
    """A dialed number: which tenant answers it with which flow."""

    tenant: str
    flow: str


class QueueExperienceSettings(_Section):
    """What a caller hears and may do while waiting in a queue."""

    announce_every_s: float = 60.0  # position and estimated wait, on entry and then this often
    announce_position: bool = True
    announce_wait: bool = True
    callback_key: str | None = "1"  # be called back and keep the place in line
    voicemail_key: str | None = "2"  # leave the queue for voicemail
    leave_when_empty: bool = True  # to voicemail when no agent of the queue is logged in
    voicemail_max_s: float = 120.0


class SipSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 5060
    rtp_port_min: int = 20000
    rtp_port_max: int = 30000
    enabled: bool = True
    tcp: bool = True
    realm: str = "helpline"
    users: dict[str, SipUserSettings] = {}
    trunks: dict[str, TrunkSettings] = {}
    dids: dict[str, DidSettings] = {}
    flows_dir: Path | None = None  # the flow files (YAML) the DIDs name
    default_trunk: str | None = None  # for calls out: callbacks, agents at external numbers
    agent_numbers: dict[str, str] = {}  # agent id -> external number reached through the trunk
    queue_experience: QueueExperienceSettings = QueueExperienceSettings()
    queues: dict[str, QueueExperienceSettings] = {}  # per-queue overrides by queue id
    login_on_register: bool = True  # a registered phone logs its agent in; unregistering out
    rate_limit_per_s: float = 30.0  # requests per second from one untrusted source address
    rate_limit_burst: float = 60.0
    external_number_pattern: str = r"\+?[0-9]{6,15}"
    no_media_timeout_s: float = 60.0


class RuntimeSettings(_Section):
    # Interactions are partitioned by tenant; one asyncio task owns each partition's live state.
    inbox_max: int = 10000
    group_commit_max: int = 256


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HELPLINE_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        frozen=True,
        extra="forbid",
    )

    data_dir: Path = Path("./data")
    config_file: Path | None = None  # tenants' configuration (YAML); the demo uses examples/demo.yaml
    log_level: str = "INFO"
    database: DatabaseSettings = DatabaseSettings()
    http: HttpSettings = HttpSettings()
    sip: SipSettings = SipSettings()
    runtime: RuntimeSettings = RuntimeSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Earlier sources win: explicit arguments, then the environment, then the YAML file.
        return (init_settings, env_settings, YamlConfigSettingsSource(settings_cls))

    @property
    def database_url(self) -> str:
        """The SQLAlchemy async URL: the configured one, or SQLite under the data folder."""
        if self.database.url is not None:
            return self.database.url.get_secret_value()
        return f"sqlite+aiosqlite:///{(self.data_dir / 'helpline.db').resolve()}"


def load_settings(settings_file: Path | None = None, **overrides: Any) -> Settings:
    """Read the settings once: defaults < YAML file < environment < explicit overrides."""
    if settings_file is None and os.environ.get("HELPLINE_SETTINGS_FILE"):
        settings_file = Path(os.environ["HELPLINE_SETTINGS_FILE"])
    if settings_file is None:
        return Settings(**overrides)
    if not settings_file.is_file():
        raise FileNotFoundError(f"settings file not found: {settings_file}")
    yaml.safe_load(settings_file.read_text())  # fail early with YAML's own line/column message
    # A subclass per file keeps the file out of process-wide state (no environment writes).
    config = SettingsConfigDict(**{**Settings.model_config, "yaml_file": str(settings_file)})
    file_settings: type[Settings] = type("Settings", (Settings,), {"model_config": config})
    return file_settings(**overrides)


def masked(settings: Settings) -> dict[str, Any]:
    """The effective values as plain data, secrets shown as ``**********``."""

    def walk(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return "**********"
        if isinstance(value, BaseModel):
            return {k: walk(getattr(value, k)) for k in type(value).model_fields}
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return [walk(v) for v in value]
        return value

    data = walk(settings)
    if settings.database.url is not None:
        data["database"]["url"] = _mask_url(settings.database.url.get_secret_value())
    return dict(data)


def _mask_url(url: str) -> str:
    # Keep the URL readable (driver, host, database) but hide the password.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:**********@{host}" if ":" in creds else url
    return url
