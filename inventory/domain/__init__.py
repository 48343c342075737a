"""Pure rules: plain Python values in, values out. No Flask, no SQLAlchemy, no clock."""
