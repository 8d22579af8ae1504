"""chassis.db.once_per_transaction: what a transaction needs once however many events a batch applies in it."""

from __future__ import annotations

from chassis.db import make_engine, make_sessionmaker, once_per_transaction


def test_true_once_in_each_transaction_of_a_session(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sessions = make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'once.db'}"))
    with sessions() as session:
        with session.begin():
            assert once_per_transaction(session, "lock") is True
            assert once_per_transaction(session, "lock") is False
            assert once_per_transaction(session, "another") is True  # each key on its own
        with session.begin():  # the next transaction of the same session needs it again
            assert once_per_transaction(session, "lock") is True
            assert once_per_transaction(session, "lock") is False
    with sessions() as session, session.begin():
        assert once_per_transaction(session, "lock") is True
