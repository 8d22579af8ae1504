"""What every Mobility process shares: settings, database session, token check, errors, health, logging."""
