import pandas as pd
import pytest


def monthly(series: dict, start: str = "2020-01-01") -> pd.DataFrame:
    """A history frame from {item_id: [qty, ...]}, monthly from `start`."""
    rows = []
    for item, values in series.items():
        periods = pd.date_range(start, periods=len(values), freq="MS")
        rows += [
            {"item_id": item, "period": p, "qty": float(q)}
            for p, q in zip(periods, values, strict=True)
        ]
    return pd.DataFrame(rows)


@pytest.fixture
def make_monthly():
    return monthly
