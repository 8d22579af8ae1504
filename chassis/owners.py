"""The one list of owners: the gateway and every service, each with its package, its default port and whether
it consumes events. Settings, migrations, the process registry, the topology and the admin pages all read it;
a new service is one line here (docs/extending.md, "Add a service")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Owner:
    name: str
    package: str         # where its app.py, worker.py and migrations/ live
    port: int            # its API's default local port
    consumes: bool       # has a queue `<name>.events` (and so `<name>.events.dlq`)

    @property
    def migrations(self) -> Path:
        return ROOT.joinpath(*self.package.split("."), "migrations")


OWNERS: dict[str, Owner] = {o.name: o for o in (
    Owner("gateway", "gateway", 8000, consumes=False),
    Owner("applications", "services.applications", 8001, consumes=True),
    Owner("reviews", "services.reviews", 8002, consumes=True),
    Owner("notifications", "services.notifications", 8003, consumes=True),
    Owner("mobilities", "services.mobilities", 8004, consumes=True),
    Owner("passports", "services.passports", 8005, consumes=True),
    Owner("placements", "services.placements", 8006, consumes=True),
)}
SERVICES = tuple(name for name in OWNERS if name != "gateway")  # the services behind the gateway
DATABASE_OWNERS = tuple(OWNERS)  # every owner has its own database
DEFAULT_PORTS = {name: owner.port for name, owner in OWNERS.items()}


def consuming_queues() -> list[str]:
    """The queues of the owners that consume events: where parked messages may be."""
    return [f"{name}.events" for name, owner in OWNERS.items() if owner.consumes]
