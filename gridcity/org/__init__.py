"""Organisation: responsible units, users, their roles and scope."""
