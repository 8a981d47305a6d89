"""SQLAlchemy 2 tables, row<->domain mapping, repositories, unit of work and Alembic migrations."""
