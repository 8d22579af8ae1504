"""trip rules: the office's limits for staff trips abroad, per-country allowances and the schools' annual plans

Revision ID: 0006_trip_rules
Revises: 0005
Create Date: 2027-02-01 10:00:00

- trip_rules: per category the most days by number of countries, the most countries and members, the lead time;
  seeded with the national defaults for general trips (5 days for 1 country, 8 for 2, 10 for 3; at most 3
  countries and 6 members; 30 days ahead), teaching-and-research exempt from those limits, 赴台 45 working days.
- trip_school_lead_times: a school's own lead time for a category.
- trip_allowances: lodging per person-night and meals per person-day by country, with the office's rate to yuan;
  a few EXAMPLE rows, marked example, for the office to replace with its current table (admin → allowances).
- trip_plans: each school's planned trips and people for a year (年度出访计划).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0006_trip_rules'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

RULES = [
    {"category": "general", "max_countries": 3, "max_members": 6, "days_by_countries": {"1": 5, "2": 8, "3": 10},
     "lead_time": 30, "lead_unit": "days"},
    {"category": "teaching_research", "max_countries": None, "max_members": None, "days_by_countries": None,
     "lead_time": 30, "lead_unit": "days"},
    {"category": "hk_macao", "max_countries": None, "max_members": None, "days_by_countries": None,
     "lead_time": 30, "lead_unit": "days"},
    {"category": "taiwan", "max_countries": None, "max_members": None, "days_by_countries": None,
     "lead_time": 45, "lead_unit": "working_days"},
]
# Examples only (round numbers in the style of the published tables): the office replaces them.
ALLOWANCES = [
    ("US", "USD", "180", "105", "7.10"), ("DE", "EUR", "150", "70", "7.70"), ("FR", "EUR", "160", "75", "7.70"),
    ("GB", "GBP", "170", "65", "9.00"), ("JP", "JPY", "18000", "9000", "0.048"), ("SG", "SGD", "230", "95", "5.30"),
    ("HK", "HKD", "1100", "450", "0.91"), ("AU", "AUD", "200", "90", "4.70"),
]


def upgrade() -> None:
    rules = op.create_table(
        'trip_rules',
        sa.Column('category', sa.String(length=30), primary_key=True),
        sa.Column('max_countries', sa.Integer(), nullable=True),
        sa.Column('max_members', sa.Integer(), nullable=True),
        sa.Column('days_by_countries', sa.JSON(), nullable=True),
        sa.Column('lead_time', sa.Integer(), nullable=False),
        sa.Column('lead_unit', sa.String(length=20), nullable=False),
    )
    op.create_table(
        'trip_school_lead_times',
        sa.Column('school', sa.String(length=40), primary_key=True),
        sa.Column('category', sa.String(length=30), primary_key=True),
        sa.Column('lead_time', sa.Integer(), nullable=False),
        sa.Column('lead_unit', sa.String(length=20), nullable=False),
    )
    allowances = op.create_table(
        'trip_allowances',
        sa.Column('country', sa.String(length=2), primary_key=True),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('lodging', sa.String(length=20), nullable=False),
        sa.Column('meals', sa.String(length=20), nullable=False),
        sa.Column('cny_rate', sa.String(length=20), nullable=False),
        sa.Column('example', sa.Boolean(), nullable=False),
    )
    op.create_table(
        'trip_plans',
        sa.Column('school', sa.String(length=40), primary_key=True),
        sa.Column('year', sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column('trips', sa.Integer(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
    )
    op.bulk_insert(rules, RULES)
    op.bulk_insert(allowances, [{"country": c, "currency": cur, "lodging": lodging, "meals": meals,
                                 "cny_rate": rate, "example": True} for c, cur, lodging, meals, rate in ALLOWANCES])


def downgrade() -> None:
    for table in ('trip_plans', 'trip_allowances', 'trip_school_lead_times', 'trip_rules'):
        op.drop_table(table)
