"""Settings from the environment, with the defaults of the outside contract."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Return CRM_DATA_DIR (signed documents, keys, uploads), default instance/."""
    return Path(os.environ.get("CRM_DATA_DIR") or PROJECT_ROOT / "instance")


def database_url() -> str:
    """Return CRM_DATABASE_URL, default SQLite at instance/crm.db."""
    url = os.environ.get("CRM_DATABASE_URL")
    if url:
        return url
    path = PROJECT_ROOT / "instance" / "crm.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def host() -> str:
    return os.environ.get("CRM_HOST", "127.0.0.1")


def port() -> int:
    return int(os.environ.get("CRM_PORT", "5000"))


def is_scheduler_on() -> bool:
    return os.environ.get("CRM_SCHEDULER", "on").lower() not in ("off", "0", "false", "no")


def is_secure_cookies() -> bool:
    """Return CRM_SECURE_COOKIES: cookies only over HTTPS (1/true/on); off by default, for local http."""
    return os.environ.get("CRM_SECURE_COOKIES", "off").strip().lower() in ("1", "true", "on", "yes")
