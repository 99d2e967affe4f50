"""The app's live views as PNG images, drawn from a running model (and its ghost) at its
current step: plain functions, so the page and the headless speed measurement
(`python -m sim.app.speed`) draw exactly the same pictures.

Each figure is a matplotlib Figure drawn without pyplot's figure registry where it can,
and closed after it is rendered, so a long lecture does not pile up figures.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.collections  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.analysis import plots  # noqa: E402
from sim.model.framework import AGENCY_STAGES, profile  # noqa: E402

GHOST = "#555555"
DPI = 72


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return buffer.getvalue()


def _series(model, columns: list[str]) -> pd.DataFrame:
    """The national rows recorded so far: decimal year and `columns`."""
    rows = model._national
    if not rows:
        return pd.DataFrame(columns=["t", *columns])
    data = {"t": [r["year"] + (r["month"] - 1) / 12 for r in rows]}
    for c in columns:
        data[c] = [r[c] for r in rows]
    return pd.DataFrame(data)


def _frame(ax, model) -> None:
    p = model.params
    ax.set_xlim(p.start_year, p.end_year + 1)
    ax.grid(alpha=0.3)
    ax.set_xlabel("year")


def adoption(model) -> Figure:
    """Channel and adoption shares, the e-government stage entries marked, and the
    ghost's online and e-service shares dashed grey."""
    columns = list(plots.PALETTE)
    fig = Figure(figsize=(7.5, 4.2))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.11, top=0.75)
    ax = fig.subplots()
    now = _series(model, [*columns, "egov_stage", "year", "month"])
    ghost = getattr(model, "ghost", None)
    if ghost is not None and ghost._national:
        g = _series(ghost, ["citizen_online_share", "eservice_share"])
        ax.plot(
            g["t"],
            g["citizen_online_share"],
            "--",
            color=GHOST,
            lw=1.6,
            label=model.ghost_label + " (online)",
        )
        ax.plot(g["t"], g["eservice_share"], ":", color=GHOST, lw=1.6, label="ghost: e-service")
    for column, colour in plots.PALETTE.items():
        style = "--" if column in ("internet_use_share", "business_adoption") else "-"
        ax.plot(now["t"], now[column], style, color=colour, lw=2, label=plots.LABELS[column])
    if len(now):
        plots.label_stage_entries(ax, now, fontsize=7)
    _frame(ax, model)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share (0-1)")
    ax.set_title("Channels and adoption; e-government stage entries marked", pad=50, fontsize=10)
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    return fig


def agencies(model) -> Figure:
    """Agencies by digitalization stage (stacked), and the share of data links joined
    and of agencies on the exchange (right axis; the ghost's links dashed grey)."""
    columns = [f"agencies_stage{s}" for s in (1, 2, 3)]
    now = _series(model, [*columns, "data_links_joined", "agencies_joined"])
    fig = Figure(figsize=(7.5, 4.2))
    fig.subplots_adjust(left=0.08, right=0.92, bottom=0.25, top=0.93)
    ax = fig.subplots()
    n_agencies = len(model.agency_store)
    if len(now):
        ax.stackplot(
            now["t"],
            *(now[c] for c in columns),
            colors=plots.AGENCY_STAGE_COLOURS,
            labels=[f"stage {s} {AGENCY_STAGES[s]}" for s in (1, 2, 3)],
            alpha=0.85,
        )
    ax.set_ylim(0, n_agencies)
    ax.set_ylabel("agencies (count)")
    right = ax.twinx()
    ghost = getattr(model, "ghost", None)
    if ghost is not None and ghost._national:
        g = _series(ghost, ["data_links_joined"])
        right.plot(
            g["t"], g["data_links_joined"], "--", color=GHOST, lw=2.2, label="ghost: data links joined"
        )
    right.plot(now["t"], now["data_links_joined"], color="#000000", lw=2.2, label="data links joined")
    right.plot(
        now["t"],
        now["agencies_joined"] / n_agencies,
        color="#D55E00",
        lw=1.6,
        label="agencies on the exchange",
    )
    right.set_ylim(0, 1)
    right.set_ylabel("share (0-1)")
    _frame(ax, model)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = right.get_legend_handles_labels()
    fig.legend(h1 + h2, l1 + l2, loc="lower center", ncols=3, fontsize=7, frameon=False)
    ax.set_title("Agencies by digitalization stage; the data exchange", fontsize=10)
    return fig


def profile_rows(model, region: str | None) -> pd.DataFrame:
    """The Stage-Model-Openness profile of the nation and `region` at the current step."""
    from sim.model.framework import MODELS

    nat, reg = model._national[-1], model._regional[-1]
    places = ["National"]
    stage = [nat["egov_stage"]]
    strengths = {m: [nat[f"{m.lower()}_strength"]] for m in MODELS}
    openness = [nat["openness"]]
    if region in model.region_names:
        i = model.region_names.index(region)
        places.append(region)
        stage.append(reg["egov_stage"][i])
        for m in MODELS:
            strengths[m].append(reg[f"{m.lower()}_strength"][i])
        openness.append(reg["openness"][i])
    prof = profile(
        np.asarray(stage),
        {m: np.asarray(v) for m, v in strengths.items()},
        np.asarray(openness),
        model.params.thresholds,
    )
    return pd.DataFrame({"year": nat["year"], "region": places, **prof})


def profile_view(model, region: str | None) -> Figure:
    rows = profile_rows(model, region)
    year, month = model._national[-1]["year"], model._national[-1]["month"]
    fig = plots.profile_figure(rows, year, title=f"Stage-Model-Openness profile, {year}-{month:02d}")
    fig.set_size_inches(7.5, 3.0)
    return fig


def region_map(model) -> Figure:
    """Regional tiles coloured by online use at the current step."""
    reg = model._regional[-1]
    nat = model._national[-1]
    table = pd.DataFrame(
        {
            "region": model.region_names,
            "year": nat["year"],
            "month": nat["month"],
            "citizen_online_share": reg["citizen_online_share"],
        }
    )
    coords = None if model.params.world.kind == "kazakhstan" else pd.DataFrame({"region": []})
    fig = plots.region_map_figure(
        table,
        "citizen_online_share",
        year=int(nat["year"]),
        coordinates=coords,
        title=f"People using e-services themselves by region, {nat['year']}-{nat['month']:02d}",
    )
    return fig


def network_layout(model) -> tuple[np.ndarray, np.ndarray]:
    """Fixed positions of citizens (clustered by region on a circle) and a sample of at
    most 4,000 ties (pairs of citizen indices), cached on the model."""
    cached = getattr(model, "_network_layout", None)
    if cached is not None:
        return cached
    from sim.model import rng as streams

    g = streams.stream(model.seed, "app:network-layout")
    region = model.citizen_store["region"].astype(np.int64)
    angle = 2 * np.pi * region / max(model.n_regions, 1)
    centre = np.column_stack([np.cos(angle), np.sin(angle)]) * (1.0 if model.n_regions > 1 else 0.0)
    r = np.sqrt(g.uniform(0, 1, len(region))) * (0.9 * np.sin(np.pi / max(model.n_regions, 2)))
    theta = g.uniform(0, 2 * np.pi, len(region))
    pos = centre + np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    ties = model.ties.tocoo()
    upper = ties.row < ties.col
    pairs = np.column_stack([ties.row[upper], ties.col[upper]])
    if len(pairs) > 4000:
        pairs = pairs[g.choice(len(pairs), 4000, replace=False)]
    model._network_layout = (pos, pairs)
    return model._network_layout


def network(model) -> Figure | None:
    """The citizens' ties (a sample), citizens coloured by their last channel: online
    adopters blue, assisted orange, paper grey. None above NETWORK_LIMIT citizens."""
    from sim.app.session import NETWORK_LIMIT
    from sim.model.agents.citizen import ASSISTED, ONLINE, PAPER

    if len(model.citizen_store) > NETWORK_LIMIT:
        return None
    pos, pairs = network_layout(model)
    channel = model.citizen_store["channel"]
    fig = Figure(figsize=(7.5, 4.2))
    fig.subplots_adjust(left=0.02, right=0.75, bottom=0.02, top=0.92)
    ax = fig.subplots()
    lines = matplotlib.collections.LineCollection(pos[pairs], colors="#dddddd", linewidths=0.3, alpha=0.6)
    ax.add_collection(lines)
    for code, colour, size, name in (
        (PAPER, "#BBBBBB", 3, "paper"),
        (ASSISTED, "#E69F00", 6, "assisted"),
        (ONLINE, "#0072B2", 9, "online (adopters)"),
    ):
        here = channel == code
        ax.scatter(pos[here, 0], pos[here, 1], s=size, c=colour, linewidths=0, label=name)
    ax.legend(loc="upper left", fontsize=7, frameon=False, markerscale=1.5, bbox_to_anchor=(1.0, 1.0))
    ax.set_aspect("equal")
    ax.set_axis_off()
    share = float((channel == ONLINE).mean())
    ax.set_title(
        f"Citizens' network ({len(channel):,} agents, clustered by region): online {share:.0%}",
        fontsize=10,
    )
    return fig


def summary(model) -> dict[str, float]:
    """Latest values of the headline indicators, and the ghost's, for the captions."""
    keys = ("citizen_online_share", "eservice_share", "data_links_joined", "egov_stage")
    now = model._national[-1] if model._national else {}
    ghost = getattr(model, "ghost", None)
    then = ghost._national[-1] if ghost is not None and ghost._national else {}
    out = {k: now.get(k, float("nan")) for k in keys}
    out.update({f"ghost_{k}": then.get(k, float("nan")) for k in keys})
    return out


def all_views(model, region: str | None) -> dict[str, bytes]:
    """Every view as PNG bytes (what the page shows after each rendered step). The line
    charts are drawn every time; the profile, the map and the network, which change
    little within a year and cost most to draw, once per simulated year (and whenever
    the region or the model changes), kept on the model."""
    out = {"adoption": png(adoption(model)), "agencies": png(agencies(model))}
    key = (model.year, region, model.steps == 0)
    cache = getattr(model, "_view_cache", None)
    if cache is None or cache[0] != key:
        heavy = {}
        if model._national:
            heavy["profile"] = png(profile_view(model, region))
            heavy["map"] = png(region_map(model))
        net = network(model)
        if net is not None:
            heavy["network"] = png(net)
        model._view_cache = cache = (key, heavy)
    out.update(cache[1])
    return out
