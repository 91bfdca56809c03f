"""How `oyster serve` was asked to run: address, access token, workspace folders."""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .auth import check_allowed_host

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
#: the source checkout holding the package (only meaningful when running from one)
REPO_ROOT = PACKAGE_ROOT.parent


def installed_or_checkout(installed: str, checkout: str) -> Path:
    """A data folder: inside the package when installed from a wheel, at the top of a source checkout."""
    inside = PACKAGE_ROOT / installed
    return inside if inside.is_dir() else REPO_ROOT / checkout


#: the editor's sources and bundle (frontend/ in a checkout, oyster_nodes/_editor when installed)
EDITOR_ROOT = installed_or_checkout("_editor", "frontend")
FRONTEND_DIST = EDITOR_ROOT / "dist"
#: the template gallery (workflows/ in a checkout, oyster_nodes/_templates when installed)
TEMPLATES = installed_or_checkout("_templates", "workflows")
#: the graph a new tab opens with
DEFAULT_WORKFLOW = TEMPLATES / "forest_dawn_still.json"
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_.~-]{16,256}$")


class OptionsError(ValueError):
    """Serve options that cannot be used, with what to do instead."""


@dataclass(kw_only=True, slots=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8420
    token: str | None = None
    workspace: Path = field(default_factory=Path.cwd)
    templates: Path = TEMPLATES
    #: workflow a new tab opens with; None opens an empty graph
    open_workflow: Path | None = DEFAULT_WORKFLOW
    out_dir: Path | None = None
    cache_dir: Path | None = None
    memory_cache_gb: float = 2.0
    workers: int = 2
    device: str = "auto"
    packs: tuple[str, ...] = ()
    #: host names besides loopback under which the editor may be reached (DNS rebinding is refused otherwise)
    allowed_hosts: tuple[str, ...] = ()
    #: the token was made here (--token auto): the start-up line is the only place it is shown
    token_generated: bool = False
    #: what happens to a job that was running when the server died: "requeue" (up to max_attempts) or "fail"
    interrupted: str = "requeue"

    @property
    def outputs(self) -> Path:
        return self.out_dir or self.workspace / "out"

    def checked(self) -> ServeOptions:
        """Refuse an unprotected non-local address and malformed tokens; resolve folders."""
        if self.token == "auto":
            self.token = secrets.token_urlsafe(24)
            self.token_generated = True
        if self.token is not None and not TOKEN_PATTERN.match(self.token):
            raise OptionsError("the access token must be 16-256 characters of letters, digits and _ . ~ - "
                               "(or 'auto' to generate one)")
        if not is_loopback(self.host) and not self.token:
            raise OptionsError(f"binding {self.host} exposes the editor to other machines: give an access token "
                               "with --token TOKEN (or --token auto), or use --host 127.0.0.1")
        try:
            self.allowed_hosts = tuple(check_allowed_host(h) for h in self.allowed_hosts)
        except ValueError as exc:
            raise OptionsError(str(exc)) from None
        if self.interrupted not in ("requeue", "fail"):
            raise OptionsError(f"--interrupted {self.interrupted!r}: give requeue or fail")
        if not 0 < self.port < 65536:
            raise OptionsError(f"port {self.port} is out of range")
        self.workspace = self.workspace.resolve()
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.templates = self.templates.resolve()
        self.out_dir = self.outputs.resolve()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self

    def gate_hosts(self) -> tuple[str, ...]:
        """Names the request gate accepts besides loopback: the bound address and the operator's names."""
        return (*self.allowed_hosts, self.host)

    @property
    def jobs_db(self) -> Path:
        return self.workspace / ".oyster" / "jobs.sqlite"

    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        base = f"http://{host}:{self.port}/"
        return f"{base}?token={self.token}" if self.token and self.token_generated else base


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
