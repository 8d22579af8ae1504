"""Settings: read once from the environment into one immutable object, with safe local defaults.

Every variable is documented in docs/operations.md ("Configuration"). Besides this file, only deploy/gunicorn.conf.py
(gunicorn's own process settings) reads the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from chassis.owners import DATABASE_OWNERS, DEFAULT_PORTS, SERVICES  # noqa: F401  (re-exported: the one list)

LOOPBACK = ("127.0.0.1", "::1", "localhost")
# MOBILITY_SMTP_HOST=catch: mail is kept, not sent (marked sent; admins read it on the "Mail sent" page). The
# default of `mobility run`, so a newcomer needs no mail server; the distributed default stays real SMTP.
SMTP_CATCH = "catch"


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _positive(env: dict[str, str], name: str, default: int) -> int:
    """A count that must be at least 1: 0 days would make a link dead on arrival, a batch of 0 never apply."""
    value = _int(env, name, default)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _choice(env: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).lower()
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _zone(env: dict[str, str], name: str, default: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = env.get(name) or default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name} must be an IANA time zone such as Asia/Shanghai, got {value!r}") from exc
    return value


def _check_wecom(corp_id: str, secret: str, agent_id: int, api_url: str) -> None:
    """With a corp id set (the WeCom channel on), a missing secret or agent id would only show as messages
    pending forever: an error at start instead."""
    if not corp_id:
        return
    if not secret:
        raise ValueError("MOBILITY_WECOM_SECRET must be set when MOBILITY_WECOM_CORP_ID is (the app's Secret)")
    if agent_id <= 0:
        raise ValueError("MOBILITY_WECOM_AGENT_ID must be a positive integer when MOBILITY_WECOM_CORP_ID is set "
                         f"(the app's AgentId), got {agent_id}")
    # The secret travels in gettoken's query string: only over TLS, or to a server on this machine.
    parts = urlsplit(api_url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
        raise ValueError("MOBILITY_WECOM_API_URL must be an https:// URL (http:// only to 127.0.0.1, ::1 or "
                         f"localhost), got {api_url!r}")


@dataclass(frozen=True)
class Settings:
    var_dir: Path = Path("var")
    # Secrets, and URLs that may carry a password, stay out of repr() (and so out of logs and tracebacks).
    broker_url: str = field(default="memory://", repr=False)
    database_urls: dict[str, str] = field(default_factory=dict, repr=False)
    service_urls: dict[str, str] = field(default_factory=dict)
    public_base_url: str = "http://127.0.0.1:8000"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_sender: str = "Mobility <mobility@localhost>"
    smtp_tls: str = "none"  # none | starttls | ssl
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    wecom_corp_id: str = ""  # empty: no WeCom (企业微信) channel
    wecom_secret: str = field(default="", repr=False)
    wecom_agent_id: int = 0
    wecom_api_url: str = "https://qyapi.weixin.qq.com"
    webhooks_allow_private: bool = False
    webhook_disable_after: int = 20
    jwt_private_key_file: Path | None = None
    jwt_public_key_file: Path | None = None
    jwt_issuer: str = "mobility-gateway"
    access_token_ttl: int = 3600
    service_token_ttl: int = 60
    upstream_timeout: float = 10.0
    escalate_after_days: int = 3
    deadline_check_seconds: float = 60.0
    max_upload_bytes: int = 10 * 1024 * 1024
    max_request_bytes: int = 11 * 1024 * 1024
    max_documents_per_application: int = 20
    documents_dir: Path = Path("var/documents")
    relay_batch_size: int = 500
    relay_sweep_seconds: float = 5.0
    retry_delay_ms: int = 5000
    max_attempts: int = 5
    prefetch_count: int = 40
    consumer_batch_size: int = 20
    heartbeat_seconds: int = 30
    log_level: str = "INFO"
    secret_key_file: Path = Path("var/session-secret")
    passport_keys_file: Path = Path("var/passport-keys")  # the passports' keyring: `<key-id> <base64 key>` lines
    # The placements' keyring for the partner's answer link: one secret a line, the first the current one.
    partner_link_keys_file: Path = Path("var/partner-link-keys")
    partner_link_days: int = 30  # how long a partner's answer link is good for
    agreement_reminder_days: int = 90  # the ICD is reminded this many days before an agreement ends
    ewp_hei_id: str = "university.example.edu.cn"  # our institution's EWP HEI id (the IIA export's hei-id)
    session_cookie_secure: bool = False
    session_ttl: int = 8 * 3600
    rate_limit_storage: str = field(default="memory://", repr=False)
    rate_limit_login: str = "30/minute"
    rate_limit_submit: str = "30/hour"
    rate_limit_upload: str = "60/hour"
    rate_limit_verify: str = "30/minute"  # the public /verify/<token> page, per address
    trusted_proxies: int = 0
    metrics_port: int = 0
    login_max_failures: int = 5
    lockout_seconds: int = 900
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    timezone: str = "Asia/Shanghai"  # the office's: where a day, and so an academic year, begins
    kind_modules: tuple[str, ...] = ()  # modules outside services/applications/kinds/ with a KIND of their own
    university_name: str = ""  # shown in the pages' header; empty: the neutral "Mobility" only
    university_name_en: str = ""  # the English pages' name when it differs
    logo_file: Path | None = None  # an image shown in the header (served at /brand/logo)
    # The 任务批件's number is <prefix>〔<year>〕<seq>号; an admin may set a year's prefix (PUT /approval-series).
    approval_prefix: str = "国合批"
    pdf_font: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # a CJK TrueType font, embedded in PDFs

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("MOBILITY_VAR_DIR", "var"))
        database_urls = {
            name: env.get(f"MOBILITY_{name.upper()}_DATABASE_URL") or f"sqlite:///{var_dir / name}.db"
            for name in DATABASE_OWNERS
        }
        service_urls = {
            name: env.get(f"MOBILITY_{name.upper()}_URL") or f"http://127.0.0.1:{DEFAULT_PORTS[name]}"
            for name in SERVICES
        }
        max_upload = _int(env, "MOBILITY_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
        public_base_url = env.get("MOBILITY_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        private = env.get("MOBILITY_JWT_PRIVATE_KEY_FILE")
        public = env.get("MOBILITY_JWT_PUBLIC_KEY_FILE")
        wecom_corp_id, wecom_secret = env.get("MOBILITY_WECOM_CORP_ID", ""), env.get("MOBILITY_WECOM_SECRET", "")
        wecom_agent_id = _int(env, "MOBILITY_WECOM_AGENT_ID", 0)
        wecom_api_url = (env.get("MOBILITY_WECOM_API_URL") or "https://qyapi.weixin.qq.com").rstrip("/")
        _check_wecom(wecom_corp_id, wecom_secret, wecom_agent_id, wecom_api_url)
        return cls(
            var_dir=var_dir,
            broker_url=env.get("MOBILITY_BROKER_URL", "memory://"),
            database_urls=database_urls,
            service_urls=service_urls,
            public_base_url=public_base_url,
            smtp_host=env.get("MOBILITY_SMTP_HOST", "127.0.0.1"),
            smtp_port=_int(env, "MOBILITY_SMTP_PORT", 8025),
            smtp_sender=env.get("MOBILITY_SMTP_SENDER", "Mobility <mobility@localhost>"),
            smtp_tls=_choice(env, "MOBILITY_SMTP_TLS", ("none", "starttls", "ssl"), "none"),
            smtp_user=env.get("MOBILITY_SMTP_USER", ""),
            smtp_password=env.get("MOBILITY_SMTP_PASSWORD", ""),
            wecom_corp_id=wecom_corp_id,
            wecom_secret=wecom_secret,
            wecom_agent_id=wecom_agent_id,
            wecom_api_url=wecom_api_url,
            webhooks_allow_private=_choice(env, "MOBILITY_WEBHOOKS_ALLOW_PRIVATE", ("false", "true"), "false")
            == "true",
            webhook_disable_after=_int(env, "MOBILITY_WEBHOOK_DISABLE_AFTER", 20),
            jwt_private_key_file=Path(private) if private else var_dir / "jwt-ed25519.pem",
            jwt_public_key_file=Path(public) if public else var_dir / "jwt-ed25519.pub.pem",
            access_token_ttl=_int(env, "MOBILITY_ACCESS_TOKEN_TTL", 3600),
            service_token_ttl=_int(env, "MOBILITY_SERVICE_TOKEN_TTL", 60),
            upstream_timeout=_float(env, "MOBILITY_UPSTREAM_TIMEOUT", 10.0),
            escalate_after_days=_int(env, "MOBILITY_ESCALATE_AFTER_DAYS", 3),
            deadline_check_seconds=_float(env, "MOBILITY_DEADLINE_CHECK_SECONDS", 60.0),
            max_upload_bytes=max_upload,
            # a whole request may carry one maximal upload plus its multipart framing
            max_request_bytes=_int(env, "MOBILITY_MAX_REQUEST_BYTES", max_upload + 1024 * 1024),
            max_documents_per_application=_int(env, "MOBILITY_MAX_DOCUMENTS_PER_APPLICATION", 20),
            documents_dir=Path(env.get("MOBILITY_DOCUMENTS_DIR") or var_dir / "documents"),
            relay_batch_size=_int(env, "MOBILITY_RELAY_BATCH_SIZE", 500),
            relay_sweep_seconds=_float(env, "MOBILITY_RELAY_SWEEP_SECONDS", 5.0),
            retry_delay_ms=_int(env, "MOBILITY_RETRY_DELAY_MS", 5000),
            max_attempts=_int(env, "MOBILITY_MAX_ATTEMPTS", 5),
            prefetch_count=_int(env, "MOBILITY_PREFETCH_COUNT", 40),
            consumer_batch_size=_positive(env, "MOBILITY_CONSUMER_BATCH_SIZE", 20),
            heartbeat_seconds=_int(env, "MOBILITY_HEARTBEAT_SECONDS", 30),
            log_level=env.get("MOBILITY_LOG_LEVEL", "INFO").upper(),
            secret_key_file=Path(env.get("MOBILITY_SECRET_KEY_FILE") or var_dir / "session-secret"),
            passport_keys_file=Path(env.get("MOBILITY_PASSPORT_KEYS_FILE") or var_dir / "passport-keys"),
            partner_link_keys_file=Path(env.get("MOBILITY_PARTNER_LINK_KEYS_FILE") or var_dir / "partner-link-keys"),
            partner_link_days=_positive(env, "MOBILITY_PARTNER_LINK_DAYS", 30),
            agreement_reminder_days=_positive(env, "MOBILITY_AGREEMENT_REMINDER_DAYS", 90),
            ewp_hei_id=env.get("MOBILITY_EWP_HEI_ID", "").strip() or "university.example.edu.cn",
            # Secure cookies wherever the public address is https; plain http is only for local dev.
            session_cookie_secure=_choice(
                env, "MOBILITY_SESSION_COOKIE_SECURE", ("auto", "true", "false"), "auto"
            ).replace("auto", str(public_base_url.startswith("https://")).lower()) == "true",
            session_ttl=_int(env, "MOBILITY_SESSION_TTL", 8 * 3600),
            rate_limit_storage=env.get("MOBILITY_RATE_LIMIT_STORAGE", "memory://"),
            rate_limit_login=env.get("MOBILITY_RATE_LIMIT_LOGIN", "30/minute"),
            rate_limit_submit=env.get("MOBILITY_RATE_LIMIT_SUBMIT", "30/hour"),
            rate_limit_upload=env.get("MOBILITY_RATE_LIMIT_UPLOAD", "60/hour"),
            rate_limit_verify=env.get("MOBILITY_RATE_LIMIT_VERIFY", "30/minute"),
            trusted_proxies=_int(env, "MOBILITY_TRUSTED_PROXIES", 0),
            metrics_port=_int(env, "MOBILITY_METRICS_PORT", 0),
            login_max_failures=_int(env, "MOBILITY_LOGIN_MAX_FAILURES", 5),
            lockout_seconds=_int(env, "MOBILITY_LOCKOUT_SECONDS", 900),
            oidc_issuer=env.get("MOBILITY_OIDC_ISSUER", "").rstrip("/"),
            oidc_client_id=env.get("MOBILITY_OIDC_CLIENT_ID", ""),
            oidc_client_secret=env.get("MOBILITY_OIDC_CLIENT_SECRET", ""),
            timezone=_zone(env, "MOBILITY_TIMEZONE", "Asia/Shanghai"),
            kind_modules=tuple(m.strip() for m in env.get("MOBILITY_KIND_MODULES", "").split(",") if m.strip()),
            university_name=env.get("MOBILITY_UNIVERSITY_NAME", "").strip(),
            university_name_en=env.get("MOBILITY_UNIVERSITY_NAME_EN", "").strip(),
            logo_file=Path(env["MOBILITY_LOGO_FILE"]) if env.get("MOBILITY_LOGO_FILE") else None,
            approval_prefix=env.get("MOBILITY_APPROVAL_PREFIX", "").strip() or "国合批",
            pdf_font=Path(env.get("MOBILITY_PDF_FONT") or "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
        )

    def database_url(self, owner: str) -> str:
        return self.database_urls.get(owner) or f"sqlite:///{self.var_dir / owner}.db"

