"""Key rotation (`mobility passports rotate`): every number still sealed under an older key is opened and sealed
again under the keyring's current one, in batches of their own transactions, so a long register never holds its
rows locked for long and a run stopped half-way resumes where it was.

Nothing readable is lost: a row whose key is no longer in the keyring (or that its key does not open) is left as it
is and reported by id, with the key it names, so the line can be put back before anything else is removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.passports import audit, crypto
from services.passports.models import Passport

BATCH = 200


@dataclass
class Rotation:
    key: str  # the current key, every row's key afterwards
    rotated: int = 0  # rows sealed again under `key` by this run
    current: int = 0  # rows under `key` once the run is over
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (passport id, the key it names)

    @property
    def complete(self) -> bool:
        """Every row is under the current key: the keyring's other lines may be removed."""
        return not self.unreadable


def rotate(sessions: sessionmaker[Session], ring: crypto.Keyring, actor: str = "mobility passports rotate",
           batch: int = BATCH) -> Rotation:
    """Re-seal every row under an older key with the current one; audited `key_rotated` with the counts."""
    done = Rotation(ring.current)
    after = ""
    while True:
        with sessions() as session, session.begin():
            rows = list(session.scalars(
                select(Passport).where(Passport.number_key != ring.current, Passport.id > after)
                .order_by(Passport.id).limit(batch).with_for_update()))
            for passport in rows:
                try:
                    number = ring.decrypt(passport.number_key, passport.number_cipher, passport.id)
                except (crypto.KeyMissing, InvalidTag):
                    done.unreadable.append((passport.id, passport.number_key))
                    continue
                passport.number_key, passport.number_cipher = ring.encrypt(number, passport.id)
                done.rotated += 1
        if len(rows) < batch:
            break
        after = rows[-1].id
    with sessions() as session, session.begin():
        done.current = int(session.scalar(select(func.count()).select_from(Passport)
                                          .where(Passport.number_key == ring.current)) or 0)
        audit.record(session, actor, "key_rotated", None, key=ring.current, rotated=done.rotated,
                     unreadable=len(done.unreadable), under_current_key=done.current)
    return done
