"""Figures from result tables. Each function takes tidy tables and returns a Figure, so
notebooks and the command line draw the same pictures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.framework import EGOV_STAGES  # noqa: E402

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
PALETTE = {
    "citizen_online_share": "#0072B2",
    "eservice_share": "#009E73",
    "assisted_share": "#E69F00",
    "paper_share": "#999999",
    "internet_use_share": "#56B4E9",
    "business_adoption": "#CC79A7",
}
LABELS = {
    "citizen_online_share": "people using e-services themselves",
    "eservice_share": "transactions processed electronically",
    "assisted_share": "assisted at a service centre",
    "paper_share": "paper",
    "internet_use_share": "internet use",
    "business_adoption": "firms using G2B e-services",
}


def stage_entries(national: pd.DataFrame) -> pd.DataFrame:
    """The first step at which each e-government stage was reached."""
    t = national["year"] + (national["month"] - 1) / 12
    stage = national["egov_stage"].cummax()
    entered = stage.ne(stage.shift(fill_value=stage.iloc[0] if len(stage) else 0))
    rows = [{"t": t.iloc[0], "stage": int(stage.iloc[0])}] if len(stage) else []
    rows += [{"t": t[i], "stage": int(stage[i])} for i in national.index[entered]]
    return pd.DataFrame(rows, columns=["t", "stage"])


def adoption_figure(national: pd.DataFrame, title: str) -> Figure:
    """Adoption and channel shares over time, with the e-government stage entries marked."""
    fig, ax = plt.subplots(figsize=(9, 5), layout="constrained")
    t = national["year"] + (national["month"] - 1) / 12
    for column, colour in PALETTE.items():
        style = "--" if column in ("internet_use_share", "business_adoption") else "-"
        ax.plot(t, national[column], style, color=colour, lw=2, label=LABELS[column])
    for _, row in stage_entries(national).iterrows():
        if row["stage"] > 0:
            ax.axvline(row["t"], color="#444444", lw=0.8, ls=":")
            ax.text(
                row["t"],
                1.01,
                f"{int(row['stage'])} {EGOV_STAGES[int(row['stage'])]}",
                rotation=90,
                va="bottom",
                ha="center",
                fontsize=8,
                color="#444444",
                transform=ax.get_xaxis_transform(),
            )
    ax.set_ylim(0, 1)
    ax.set_xlabel("year")
    ax.set_ylabel("share (0-1)")
    ax.set_title(title, pad=70)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    return fig
