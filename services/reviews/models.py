"""Reviews' own tables (its database holds the bus's outbox and inbox too, see eventbus.tables)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import UTCDateTime


class Base(DeclarativeBase):
    pass


class ReviewTask(Base):
    __tablename__ = "review_tasks"
    __table_args__ = (
        # One task per level per submitted version: a second copy of the same news cannot open another.
        UniqueConstraint("application_id", "application_version", "level", name="uq_task_per_level"),
        Index("ix_tasks_queue", "role", "school", "status", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    application_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200), default="")
    applicant: Mapped[str] = mapped_column(String(80))
    level: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(40))
    school: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
