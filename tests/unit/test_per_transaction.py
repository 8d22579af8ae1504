"""chassis.db.per_transaction: what a transaction needs once however many events a batch applies in it."""

from __future__ import annotations

from chassis.db import make_engine, make_sessionmaker, per_transaction


def test_computed_once_in_each_transaction_of_a_session(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sessions = make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'once.db'}"))
    calls: list[str] = []

    def compute(name: str):  # type: ignore[no-untyped-def]
        return lambda: calls.append(name) or len(calls)

    with sessions() as session:
        with session.begin():
            assert per_transaction(session, "lock", compute("lock")) == 1
            assert per_transaction(session, "lock", compute("lock")) == 1  # kept: not computed again
            assert per_transaction(session, "other", compute("other")) == 2  # each key on its own
        with session.begin():  # the next transaction of the same session computes it again
            assert per_transaction(session, "lock", compute("lock")) == 3
            assert per_transaction(session, "lock", compute("lock")) == 3
    with sessions() as session, session.begin():
        assert per_transaction(session, "lock", compute("lock")) == 4
    assert calls == ["lock", "other", "lock", "lock"]


def test_a_value_asked_for_before_the_first_statement_is_not_kept_for_the_next_transaction(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An autobegin session that has run nothing yet has no transaction: the value must not outlive the one that
    asking begins."""
    sessions = make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'once.db'}"))
    calls: list[int] = []
    with sessions() as session:
        assert per_transaction(session, "lock", lambda: calls.append(1) or len(calls)) == 1
        session.commit()
        assert per_transaction(session, "lock", lambda: calls.append(1) or len(calls)) == 2
