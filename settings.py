"""legisflow's settings: every one comes from a ``LEGISFLOW_*`` environment variable (README,
"Settings" and "Adapters"). Read by the worker, the client API, the CLI and the adapters.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: A TCP port.
Port = Annotated[int, Field(ge=1, le=65535)]
#: A positive, finite number of seconds (``inf`` and ``nan`` are refused).
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
#: The shortest legal day a case may run on (a demo's); a shorter one leaves a workflow task
#: no time to run before its deadlines, and a case would fail its tasks forever.
MIN_LEGAL_DAY_SECONDS = 0.01


class Settings(BaseSettings):
    """Every setting comes from a ``LEGISFLOW_*`` environment variable (see README)."""

    model_config = SettingsConfigDict(env_prefix="LEGISFLOW_", extra="ignore")

    temporal_address: str = "localhost:7233"
    namespace: str = Field(default="default", min_length=1)
    task_queue: str = Field(default="legisflow", min_length=1)
    #: Worker Deployment Versioning (docs/deploy.md, "Releasing new code"): the deployment the
    #: worker belongs to (one per namespace and task queue, e.g. ``legisflow``) and the id of
    #: the build it runs (e.g. the release tag). Both set: the worker polls as that version
    #: and each workflow it runs is pinned to it; both unset: unversioned, as before. No dot
    #: in the name: Temporal writes a version as ``<name>.<build id>``.
    deployment_name: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=200
    )
    build_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$",
        max_length=200,
        validate_default=True,
    )
    #: Where the embedded defaults keep their files (dev server DB, documents, outbox).
    data_dir: Path = Path(".legisflow")
    #: Length of one legal day in seconds: 86400 in production, ~1 for a demo.
    legal_day_seconds: float = Field(
        default=86400.0, ge=MIN_LEGAL_DAY_SECONDS, le=86400.0, allow_inf_nan=False
    )
    ui_port: Port = 8233
    directory_file: Path | None = None
    #: The official calendar new cases start with (``legisflow calendar``); unset: the copy
    #: shipped in ``models/official_calendar.yaml``.
    calendar_file: Path | None = None
    #: The sign-in key (private; only the sign-in service holds it): default
    #: ``<data dir>/identity/signing-key.pem``, made on first use.
    signing_key_file: Path | None = None
    #: legisflow's own accounts (the embedded sign-in):
    #: default ``<data dir>/identity/accounts.json``.
    accounts_file: Path | None = None
    #: Where `legisflow login` keeps the session:
    #: default ``$XDG_CONFIG_HOME/legisflow/session.json``.
    session_file: Path | None = None
    #: The deployment's sign-in service (the web app, ``legisflow web``): when set, `login`
    #: signs in there and every decision's proof comes from there; the CLI holds no key.
    sign_in_url: str | None = None
    #: Where `legisflow web` listens.
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    #: Behind TLS: the workspace's sign-in cookie goes over HTTPS only.
    web_secure_cookie: bool = False
    #: The workspace's address as officials reach it (https://… behind the agency's proxy),
    #: for the links in e-mails; unset: http://WEB_HOST:WEB_PORT.
    web_public_url: str | None = None
    #: OpenID Connect: the agency's identity provider (unset: legisflow's own accounts).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    #: Where the provider sends the browser back: for the CLI, a loopback address it listens on.
    oidc_redirect_uri: str = "http://127.0.0.1:8765/callback"
    #: The claim that holds the directory person's id (``sub``, ``preferred_username``…).
    oidc_person_claim: str = "sub"
    #: Where the provider sends a browser signing in to the workspace back; unset: the
    #: workspace's address + /dang-nhap/oidc/xong (register it with the provider).
    oidc_web_redirect_uri: str | None = None
    #: The roots a signed document's certificate must chain to (a PEM bundle: the government
    #: CA's root in production): cases started from then on require a valid signature where
    #: the procedure says so. Unset: the demo CA's root under the data dir if `legisflow demo`
    #: or `legisflow dev` made one (demo keys then sign), else signatures are not checked.
    signature_roots_file: Path | None = None
    #: The certificate revocation lists (CRL files) operations keep current; unset:
    #: ``<data dir>/signatures/crls`` (where the demo CA writes its own).
    signature_crls_dir: Path | None = None
    #: The demo accounts' password (`legisflow demo`, `legisflow dev`); unset: one is made,
    #: kept under the data dir and printed.
    demo_password: SecretStr | None = None
    #: The public's comments and feedback (public_records/): ``postgresql://…`` in
    #: production; unset: SQLite at ``<data dir>/public.sqlite3``.
    database_url: str | None = None
    #: Where `legisflow portal` (the public portal) listens.
    portal_host: str = "127.0.0.1"
    portal_port: Port = 8090
    #: The portal's address as the public reaches it (https://… behind the agency's proxy),
    #: for the links in e-mails to people following a draft; unset: http://PORTAL_HOST:PORT.
    portal_public_url: str | None = None
    #: Comments one network address may send to the portal per minute.
    portal_comments_per_minute: int = Field(default=20, ge=1)
    #: Processes serving the portal (uvicorn workers). Each keeps its own per-address counts,
    #: so with N of them one address may send up to N times the limit above.
    portal_workers: int = Field(default=1, ge=1, le=64)
    #: The agency's reverse proxies (addresses or networks, comma-separated): a request from
    #: one of them is counted against the address its ``X-Forwarded-For`` names, any other
    #: against its own. Never list an address the public can reach the portal from: anyone
    #: could then choose the address they are counted as.
    portal_trusted_proxies: str = "127.0.0.1"
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    #: Serve Prometheus metrics (the Temporal runtime's and legisflow's) on this port.
    metrics_port: Port | None = None
    #: On SIGTERM, let activities in flight finish for this long before cancelling them, so
    #: a webhook or portal request is not cut mid-body (it would be retried, but the partner
    #: sees a truncated, badly signed request).
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, allow_inf_nan=False)
    #: Temporal environment configuration (profiles in a TOML file, TEMPORAL_* variables):
    #: which profile to use, and which file (default: Temporal's standard location).
    temporal_profile: str | None = None
    temporal_config_file: Path | None = None

    # ---- adapters (README "Adapters"; activities/adapters.py) ----
    document_store: Literal["filesystem", "s3"] = "filesystem"
    notifier: Literal["outbox", "smtp", "webhook"] = "outbox"
    publisher: Literal["filesystem", "http"] = "filesystem"
    smtp_host: str = "localhost"
    smtp_port: Port = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True  # STARTTLS required (port 587); false: plain (a local relay)
    smtp_tls: bool = False  # implicit TLS (port 465) instead of STARTTLS
    smtp_validate_certs: bool = True
    smtp_from: str = "legisflow <legisflow@localhost>"
    smtp_timeout: Seconds = 20.0
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_timeout: Seconds = 10.0
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # unset: AWS itself; else MinIO, Ceph RGW, …
    s3_region: str | None = None
    s3_prefix: str = ""
    s3_path_style: bool = False
    s3_conditional_writes: bool = True
    s3_storage_class: str | None = None  # e.g. STANDARD_IA; unset: the bucket's default
    s3_multipart_threshold: int = 16 * 1024 * 1024
    s3_part_size: int = 8 * 1024 * 1024
    publisher_url: str | None = None
    publisher_secret: SecretStr | None = None
    publisher_token: SecretStr | None = None
    publisher_timeout: Seconds = 15.0

    @field_validator("temporal_address")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        if not re.fullmatch(r"[^\s:]+(:[^\s:]+)*:\d{1,5}", value):
            raise ValueError("give host:port, e.g. localhost:7233")
        return value

    @field_validator("portal_trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        for entry in filter(None, (e.strip() for e in value.split(","))):
            try:
                ipaddress.ip_network(entry)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an address or network; give e.g. 10.0.0.5,10.1.0.0/16"
                ) from None
        return value

    @field_validator("build_id")
    @classmethod
    def _with_its_deployment(cls, value: str | None, info: ValidationInfo) -> str | None:
        # One without the other would run a worker that is neither versioned nor plainly
        # unversioned: say which is missing instead (a name refused above is said there).
        if "deployment_name" in info.data and (value is None) != (
            info.data["deployment_name"] is None
        ):
            raise ValueError(
                "set LEGISFLOW_BUILD_ID and LEGISFLOW_DEPLOYMENT_NAME together, or neither"
            )
        return value

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def publications_dir(self) -> Path:
        return self.data_dir / "publications"

    @property
    def smtp_ledger_dir(self) -> Path:
        return self.data_dir / "smtp-sent"

    @property
    def demo_ca_dir(self) -> Path:
        """The demo's certification authority (``make demo``, ``legisflow dev``, tests)."""
        return self.data_dir / "signatures" / "demo-ca"

    @property
    def signature_crls_path(self) -> Path:
        return self.signature_crls_dir or self.data_dir / "signatures" / "crls"

    @property
    def signature_roots_path(self) -> Path:
        return self.signature_roots_file or self.demo_ca_dir / "root.pem"

    @property
    def identity_dir(self) -> Path:
        return self.data_dir / "identity"

    @property
    def signing_key_path(self) -> Path:
        return self.signing_key_file or self.identity_dir / "signing-key.pem"

    @property
    def accounts_path(self) -> Path:
        return self.accounts_file or self.identity_dir / "accounts.json"

    @property
    def session_path(self) -> Path:
        if self.session_file is not None:
            return self.session_file
        config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(config) / "legisflow" / "session.json"

    @property
    def workspace_url(self) -> str:
        return self.web_public_url or f"http://{self.web_host}:{self.web_port}"

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'public.sqlite3').resolve()}"

    @property
    def portal_url(self) -> str:
        return f"http://{self.portal_host}:{self.portal_port}"

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.ui_port}"


class SettingsError(ValueError):
    """The environment holds a setting legisflow cannot use; the message names each variable
    and what is wrong with it, on one line."""


def load_settings() -> Settings:
    """The settings from the environment, or SettingsError saying which variable is wrong."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(describe(exc, prefix="LEGISFLOW_")) from None


def describe(exc: ValidationError, *, prefix: str = "") -> str:
    """A pydantic validation error as one line: ``FIELD: what is wrong (got …)`` per error."""
    parts = []
    for e in exc.errors():
        where = ".".join(str(x) for x in e["loc"])
        what = str(e["msg"]).removeprefix("Value error, ")
        got = e.get("input")
        given = f" (got {got!r})" if isinstance(got, str | int | float) else ""
        parts.append(f"{prefix}{where.upper() if prefix else where}: {what}{given}")
    return "; ".join(parts)
