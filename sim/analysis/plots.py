"""Figures from result tables. Each function takes tidy tables and returns a Figure, so
notebooks and the command line draw the same pictures.

Tables are the ones a run writes (`national`, `regions`, `profile`, see sim.experiments.results), and
for sweeps the same national table stacked over runs with `scenario` and `seed` columns
(one row per run and step). Time-series figures accept either: a single run draws lines,
several seeds of a scenario draw the median across seeds with a 5-95% band.

Colours are Okabe-Ito (categorical) and viridis/cividis (continuous), both readable with
the common colour-vision deficiencies.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.cm  # noqa: E402
import matplotlib.colors  # noqa: E402
import matplotlib.lines  # noqa: E402
import matplotlib.patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.model.framework import EGOV_STAGES  # noqa: E402

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


def label_stage_entries(ax, national: pd.DataFrame, fontsize: int = 8) -> None:
    """A dotted line and a label at each e-government stage entry of a national table."""
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
                fontsize=fontsize,
                color="#444444",
                transform=ax.get_xaxis_transform(),
            )


def adoption_figure(national: pd.DataFrame, title: str) -> Figure:
    """Adoption and channel shares over time, with the e-government stage entries marked."""
    fig, ax = plt.subplots(figsize=(9, 5), layout="constrained")
    t = national["year"] + (national["month"] - 1) / 12
    for column, colour in PALETTE.items():
        style = "--" if column in ("internet_use_share", "business_adoption") else "-"
        ax.plot(t, national[column], style, color=colour, lw=2, label=LABELS[column])
    label_stage_entries(ax, national)
    ax.set_ylim(0, 1)
    ax.set_xlabel("year")
    ax.set_ylabel("share (0-1)")
    ax.set_title(title, pad=70)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    return fig


# --- shared helpers ------------------------------------------------------------------

OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#999999",  # grey
)
HIGHLIGHT = "#D55E00"  # vermillion: models active ahead of the stage
BAND = (0.05, 0.95)
STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 12,
}
INDICATORS = {
    # column: (label, unit, is a 0-1 share)
    "citizen_online_share": ("people using e-services themselves", "share of people", True),
    "eservice_share": ("transactions processed electronically", "share of transactions", True),
    "assisted_share": ("assisted at a service centre", "share of people", True),
    "paper_share": ("paper", "share of people", True),
    "internet_use_share": ("internet use", "share of people", True),
    "business_adoption": ("firms using G2B e-services", "share of firms", True),
    "c2g_participation": ("C2G participation", "share of people per month", True),
    "interoperability": ("interoperability", "index 0-1", True),
    "openness": ("openness", "index 0-1", True),
    "trust": ("trust in government", "share of people", True),
    "egdi": ("EGDI-shaped index", "index 0-1", True),
    "online_gini": ("Gini of online use across regions", "index 0-1", False),
    "online_theil": ("Theil T of online use", "index", False),
    "mean_service_maturity": ("mean service maturity", "level 0-4", False),
    "egov_stage": ("e-government stage", "stage 0-5", False),
    "egov_users_12m_share": (
        "people who used e-government online in the last 12 months",
        "share of people",
        True,
    ),
    "egov_households_12m_share": (
        "households using e-government in the last 12 months",
        "share of households",
        True,
    ),
    "services_transactional_share": ("services available as online transactions", "share of services", True),
    "online_transactions_per_month": ("online transactions", "transactions per month", False),
    "people_ever_online": ("people who ever transacted online", "persons", False),
    "people_registered": ("portal accounts (EDS key holders)", "persons", False),
    "non_user_share": ("persistent non-users of online services", "share of people", True),
    "data_links_joined": ("data dependencies linked through the exchange", "share of links", True),
    "paper_counters": ("paper-counter capacity still open", "share", True),
    "services_maintained": ("services' upkeep funded", "share", True),
    "mean_effective_quality": ("effective service quality", "index 0-1", True),
}
CHANNELS = ("citizen_online_share", "eservice_share", "assisted_share", "paper_share")


def label(column: str) -> str:
    return INDICATORS.get(column, (column.replace("_", " "), "", False))[0]


def unit(column: str) -> str:
    return INDICATORS.get(column, ("", "value", False))[1]


def styled(function):
    """Draw under the module's font sizes without changing the caller's rcParams."""

    def wrapper(*args, **kwargs):
        with plt.rc_context(STYLE):
            return function(*args, **kwargs)

    wrapper.__name__, wrapper.__doc__ = function.__name__, function.__doc__
    wrapper.__wrapped__ = function
    return wrapper


def decimal_year(frame: pd.DataFrame) -> pd.Series:
    return frame["year"] + (frame["month"] - 1) / 12


def band_alpha(n_scenarios: int) -> float:
    """Fainter bands when many scenarios overlap."""
    return 0.22 if n_scenarios <= 3 else 0.12


def scenario_legend(fig, axes, n_scenarios: int, loc: str = "upper left") -> None:
    """Scenarios in one legend: inside the first panel for a few, below the figure for many."""
    if n_scenarios <= 3:
        axes[0].legend(loc=loc, frameon=False)
        return
    handles, labels = axes[0].get_legend_handles_labels()
    labels = [text.removesuffix(" (median, 5-95%)") for text in labels]
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, n_scenarios), frameon=False)


def scenario_colours(scenarios) -> dict[str, str]:
    return {name: OKABE_ITO[i % len(OKABE_ITO)] for i, name in enumerate(scenarios)}


def scenarios_of(table: pd.DataFrame, reference: str | None = None) -> list:
    """Scenario names in order of appearance, the reference first."""
    if "scenario" not in table:
        return [None]
    names = list(dict.fromkeys(table["scenario"]))
    if reference in names:
        names.remove(reference)
        names.insert(0, reference)
    return names


def of_scenario(table: pd.DataFrame, name) -> pd.DataFrame:
    return table if name is None else table[table["scenario"] == name]


def n_seeds(table: pd.DataFrame) -> int:
    return int(table["seed"].nunique()) if "seed" in table else 1


def across_seeds(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Median and 5-95% quantiles of `column` across seeds at each step (t = decimal
    year). A single run gives its own values for all three."""
    frame = pd.DataFrame({"t": decimal_year(table).to_numpy(), "v": table[column].to_numpy()})
    grouped = frame.groupby("t")["v"]
    return pd.DataFrame(
        {"median": grouped.median(), "low": grouped.quantile(BAND[0]), "high": grouped.quantile(BAND[1])}
    )


def draw_series(
    ax, table: pd.DataFrame, column: str, colour: str, name: str, style: str = "-", alpha: float = 0.2
) -> None:
    """A line for one run; the median with a shaded 5-95% band for several seeds."""
    stats = across_seeds(table, column)
    if n_seeds(table) > 1:
        band = ax.fill_between(stats.index, stats["low"], stats["high"], color=colour, alpha=alpha, lw=0)
        band.set_gid("band")
        name = f"{name} (median, 5-95%)"
    ax.plot(stats.index, stats["median"], style, color=colour, lw=2, label=name)


def median_stage_entries(table: pd.DataFrame) -> dict[int, float]:
    """Per stage, the median time of entry across the seeds that reached it."""
    from sim.analysis.transitions import stage_entries

    key = "run_id" if "run_id" in table else "seed" if "seed" in table else None
    groups = table.groupby(key) if key else [(None, table)]
    entries = pd.DataFrame([stage_entries(run.sort_values(["year", "month"])) for _, run in groups])
    return {int(s): float(entries[s].median()) for s in entries if entries[s].notna().any()}


def mark_stage_entries(
    ax, entries: dict[int, float], colour: str, labelled: bool, drawn: list | None = None
) -> None:
    """Dotted lines at stage entries (the stage held at the start is not an entry). Entries
    within a month of one already in `drawn` (another scenario's) are not drawn again."""
    first = min(entries.values(), default=None)
    drawn = [] if drawn is None else drawn
    for stage, t in sorted(entries.items()):
        if t == first or any(s == stage and abs(t - u) < 1 / 24 for s, u in drawn):
            continue
        drawn.append((stage, t))
        ax.axvline(t, color=colour, lw=0.9, ls=":", alpha=0.9)
        if labelled:
            ax.text(
                t,
                1.01,
                f"{stage} {EGOV_STAGES[stage]}",
                rotation=90,
                va="bottom",
                ha="center",
                fontsize=8,
                color=colour,
                transform=ax.get_xaxis_transform(),
            )


def ink(colour) -> str:
    """Black or white text, whichever reads better on `colour` (relative luminance)."""
    r, g, b = (
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in matplotlib.colors.to_rgb(colour)
    )
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.22 else "white"


def end_of_year(table: pd.DataFrame) -> pd.DataFrame:
    """Each year's last recorded step (December, or the last month of a partial year)."""
    last = table.groupby("year")["month"].transform("max")
    return table[table["month"] == last]


# --- adoption and channels -------------------------------------------------------------


@styled
def adoption_bands_figure(
    runs: pd.DataFrame, title: str | None = None, reference: str | None = None, columns=CHANNELS
) -> Figure:
    """Adoption and channel shares over time, one panel per indicator and one colour per
    scenario: median across seeds with a 5-95% band; the median entry time of each
    e-government stage marked with dotted lines in the scenario's colour."""
    names = scenarios_of(runs, reference)
    colours = scenario_colours(names)
    ncols = 2
    nrows = -(-len(columns) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 3.6 * nrows + 0.6), sharex=True, layout="constrained")
    axes = list(np.ravel(axes))
    entries = {name: median_stage_entries(of_scenario(runs, name)) for name in names}
    for i, (ax, column) in enumerate(zip(axes, columns, strict=False)):
        drawn: list = []
        for name in names:
            draw_series(
                ax,
                of_scenario(runs, name),
                column,
                colours[name],
                str(name or "run"),
                alpha=band_alpha(len(names)),
            )
            mark_stage_entries(ax, entries[name], colours[name], labelled=i < ncols, drawn=drawn)
        ax.set_ylim(0, 1)
        ax.set_title(label(column), pad=90 if i < ncols else 6)
        ax.set_ylabel(f"{unit(column)} (0-1)")
        ax.grid(alpha=0.3)
        if i >= len(columns) - ncols:
            ax.set_xlabel("year")
    for ax in axes[len(columns) :]:
        ax.set_visible(False)
    scenario_legend(fig, axes, len(names))
    seeds = n_seeds(runs) if "seed" in runs else 1
    band = ": median and 5-95% band across seeds" if seeds > 1 else ""
    fig.suptitle(title or f"Adoption and channel shares over time ({seeds} seeds per scenario{band})")
    return fig


# --- policy comparison -----------------------------------------------------------------


@styled
def comparison_figure(differences: pd.DataFrame, reference: str, title: str | None = None) -> Figure:
    """Dot-and-whisker chart of each scenario's paired difference to the reference, one
    panel per outcome. `differences` has columns scenario, outcome, diff, low, high (the
    paired confidence interval) and optionally unit, label (the panel title),
    unpaired_low, unpaired_high (drawn as a grey bar behind, so the gain from pairing is
    visible)."""
    outcomes = list(dict.fromkeys(differences["outcome"]))
    scenario_names = list(dict.fromkeys(differences["scenario"]))
    ncols = min(3, len(outcomes))
    nrows = -(-len(outcomes) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(max(4.3 * ncols, 6), nrows * (1.5 + 0.5 * len(scenario_names)) + 0.5),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    colours = scenario_colours([reference, *scenario_names])
    flat = list(axes.ravel())
    for ax, outcome in zip(flat, outcomes, strict=False):
        rows = differences[differences["outcome"] == outcome].set_index("scenario")
        for y, name in enumerate(scenario_names):
            if name not in rows.index:
                continue
            row = rows.loc[name]
            if "unpaired_low" in row and pd.notna(row["unpaired_low"]):
                ax.plot(
                    [row["unpaired_low"], row["unpaired_high"]], [y, y], color="#999999", lw=6, alpha=0.45
                )
            if pd.notna(row["low"]):
                ax.plot([row["low"], row["high"]], [y, y], color=colours[name], lw=2)
            ax.plot([row["diff"]], [y], "o", color=colours[name], ms=7)
        ax.axvline(0, color="#444444", lw=0.8)
        outcome_unit = rows["unit"].iloc[0] if "unit" in rows and len(rows) else ""
        ax.set_xlabel(f"difference ({outcome_unit})" if outcome_unit else "difference")
        title_ = rows["label"].iloc[0] if "label" in rows and len(rows) else str(outcome)
        ax.set_title(title_, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    for ax in flat[len(outcomes) :]:
        ax.set_visible(False)
    flat[0].set_yticks(range(len(scenario_names)), scenario_names)
    flat[0].set_ylim(-0.6, len(scenario_names) - 0.4)
    flat[0].invert_yaxis()
    has_unpaired = "unpaired_low" in differences and differences["unpaired_low"].notna().any()
    note = "; grey bar: unpaired" if has_unpaired else ""
    fig.suptitle(title or f"Difference to {reference}, paired by seed (dot: mean; line: 95% CI{note})")
    return fig


# --- regions -----------------------------------------------------------------------


def tile_layout(places: pd.DataFrame, scale: float = 0.8) -> dict[str, tuple[int, int]]:
    """Grid cells (column, row from the top) for regions with `centre_lat`/`centre_lon`:
    regions are assigned to grid cells so that the total squared distance from each
    centre to its cell is least (an optimal assignment), so neighbours stay neighbours
    and close cities (Almaty and its region) get tiles of their own. `scale` sets the
    tile size relative to one tile per region over the bounding box. Without
    coordinates, regions fill rows of five in order."""
    names = list(places["region"])
    if not {"centre_lat", "centre_lon"} <= set(places.columns):
        return {r: (i % 5, i // 5) for i, r in enumerate(names)}
    lat0 = float(places["centre_lat"].mean())
    x = places["centre_lon"].to_numpy(dtype=float) * np.cos(np.radians(lat0))
    y = places["centre_lat"].to_numpy(dtype=float)
    area = max((np.ptp(x) or 1.0) * (np.ptp(y) or 1.0), 1e-9)
    size = (area / max(len(names), 1)) ** 0.5 * scale
    gx, gy = (x - x.min()) / size, (y.max() - y) / size
    cols = np.arange(int(np.ceil(gx.max())) + 2)
    rows = np.arange(int(np.ceil(gy.max())) + 2)
    grid = np.array([(c, r) for c in cols for r in rows], dtype=float)
    # tile centres sit at (c + 0.5, r + 0.5); the centre coordinate lies inside its tile
    cost = (gx[:, None] - grid[None, :, 0] - 0.5) ** 2 + (gy[:, None] - grid[None, :, 1] - 0.5) ** 2
    assignment = least_cost_assignment(cost)
    cells = {names[i]: (int(grid[j, 0]), int(grid[j, 1])) for i, j in enumerate(assignment)}
    c0 = min(c for c, _ in cells.values())
    r0 = min(r for _, r in cells.values())
    return {name: (c - c0, r - r0) for name, (c, r) in cells.items()}


def least_cost_assignment(cost: np.ndarray) -> list[int]:
    """A column for each row of `cost`, all different, with a small total cost: greedy
    by cheapest pair, then moves to free columns and swaps between rows until none
    helps. (The exact optimum, scipy's linear_sum_assignment, costs a slow import; on
    Kazakhstan's 20 regions both give the same map.)"""
    n_rows, n_cols = cost.shape
    assignment = [-1] * n_rows
    used: set[int] = set()
    for flat in np.argsort(cost, axis=None, kind="stable"):
        i, j = divmod(int(flat), n_cols)
        if assignment[i] < 0 and j not in used:
            assignment[i] = j
            used.add(j)
    improved = True
    while improved:
        improved = False
        for i in range(n_rows):
            here = cost[i, assignment[i]]
            free = [j for j in range(n_cols) if j not in used]
            best = min(free, key=lambda j: cost[i, j], default=None)
            if best is not None and cost[i, best] < here - 1e-12:
                used.discard(assignment[i])
                used.add(best)
                assignment[i] = best
                improved = True
                continue
            for k in range(n_rows):
                a, b = assignment[i], assignment[k]
                if k != i and cost[i, b] + cost[k, a] < cost[i, a] + cost[k, b] - 1e-12:
                    assignment[i], assignment[k] = b, a
                    improved = True
    return assignment


def region_coordinates() -> pd.DataFrame:
    from sim.model.world_data import kazakhstan_regions

    return kazakhstan_regions()


@styled
def region_map_figure(
    regions: pd.DataFrame,
    indicator: str = "citizen_online_share",
    year: int | None = None,
    coordinates: pd.DataFrame | None = None,
    title: str | None = None,
) -> Figure:
    """Tile map: one square per region, placed by its centre's coordinates, coloured by
    an indicator at the end of `year` (default: the last year)."""
    year = int(regions["year"].max()) if year is None else year
    at = end_of_year(regions[regions["year"] == year])
    if "seed" in at and at["seed"].nunique() > 1:
        at = at.groupby("region", as_index=False, sort=False)[indicator].median()
    values = at.set_index("region")[indicator]
    coords = region_coordinates() if coordinates is None else coordinates
    known = coords[coords["region"].isin(values.index)]
    places = known if len(known) == len(values) else pd.DataFrame({"region": list(values.index)})
    cells = tile_layout(places)
    ncol = max(c for c, _ in cells.values()) + 1
    nrow = max(r for _, r in cells.values()) + 1
    fig, ax = plt.subplots(figsize=(max(1.25 * ncol, 6.5), 1.05 * nrow + 1.6), layout="constrained")
    share = INDICATORS.get(indicator, ("", "", False))[2]
    # the colour scale spans the regions' range, so the disparity is what shows
    low, high = float(values.min()), float(values.max())
    decimals = 0 if high - low >= 0.05 else 1
    norm = matplotlib.colors.Normalize(low, high if high > low else low + 1e-9)
    cmap = matplotlib.colormaps["viridis"]
    for region, (c, r) in cells.items():
        value = float(values[region])
        colour = cmap(norm(value))
        tile = matplotlib.patches.Rectangle((c, -r), 0.94, 0.94, facecolor=colour, edgecolor="white")
        tile.set_gid(f"tile:{region}")
        ax.add_patch(tile)
        text_colour = ink(colour)
        name = region.replace(" Kazakhstan", " Kaz.").replace(" Region", " Reg.")
        ax.text(c + 0.47, -r + 0.6, name, ha="center", va="center", fontsize=8, color=text_colour)
        text = f"{value:.{decimals}%}" if share else f"{value:.3g}"
        ax.text(
            c + 0.47, -r + 0.3, text, ha="center", va="center", fontsize=9, weight="bold", color=text_colour
        )
    ax.set_xlim(-0.1, ncol)
    ax.set_ylim(-nrow + 0.9, 1.0)
    ax.set_aspect("equal")
    ax.set_axis_off()
    bar = fig.colorbar(
        matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap),
        ax=ax,
        location="bottom",
        shrink=0.6,
        aspect=40,
        pad=0.02,
    )
    bar.set_label(f"{label(indicator)} ({unit(indicator)}; colours span the regions' range)")
    if share:
        bar.ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=decimals))
    placed = "tiles placed by regional centre" if len(known) == len(values) else "tiles in region order"
    ax.set_title(title or f"{label(indicator).capitalize()} by region, end of {year} ({placed})")
    return fig


@styled
def region_heatmap_figure(
    regions: pd.DataFrame, indicator: str = "citizen_online_share", title: str | None = None
) -> Figure:
    """Regions by year, coloured by an indicator at the end of each year, regions sorted
    by their final value (highest at the top)."""
    yearly = end_of_year(regions)
    table = yearly.pivot_table(index="region", columns="year", values=indicator, aggfunc="median")
    table = table.sort_values(table.columns[-1], ascending=False)
    share = INDICATORS.get(indicator, ("", "", False))[2]
    fig, ax = plt.subplots(
        figsize=(max(6, 0.34 * table.shape[1] + 3.5), 0.3 * len(table) + 1.6), layout="constrained"
    )
    image = ax.imshow(
        table.to_numpy(),
        aspect="auto",
        cmap="viridis",
        vmin=0 if share else None,
        vmax=1 if share else None,
        interpolation="nearest",
    )
    ax.set_yticks(range(len(table)), table.index)
    years = list(table.columns)
    step = max(1, len(years) // 12)
    ax.set_xticks(range(0, len(years), step), [str(y) for y in years[::step]])
    ax.set_xlabel("year (value at the end of the year)")
    ax.set_ylabel("region (sorted by final value)")
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(f"{label(indicator)} ({unit(indicator)})")
    if share:
        bar.ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set_title(title or f"{label(indicator).capitalize()} by region and year")
    return fig


# --- disparity -----------------------------------------------------------------------


@styled
def disparity_figure(
    national: pd.DataFrame, title: str | None = None, reference: str | None = None
) -> Figure:
    """Disparity of online self-service across regions over time: the Gini coefficient,
    and the Theil index split into its within and between urban-rural parts. For a
    sweep, each scenario's median with a 5-95% band (between part dashed)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), sharex=True, layout="constrained")
    names = scenarios_of(national, reference)
    several = len(names) > 1 or n_seeds(national) > 1
    colours = scenario_colours(names)
    alpha = band_alpha(len(names))
    for name in names:
        table = of_scenario(national, name)
        tag = str(name) if name is not None else "Gini"
        draw_series(left, table, "online_gini", colours[name] if several else OKABE_ITO[0], tag, alpha=alpha)
        if several:
            draw_series(right, table, "online_theil", colours[name], f"{name}", alpha=alpha)
            stats = across_seeds(table, "online_theil_between")
            right.plot(stats.index, stats["median"], "--", color=colours[name], lw=1.5, label="_between")
    if not several:
        t = decimal_year(national)
        right.stackplot(
            t,
            national["online_theil_within"],
            national["online_theil_between"],
            colors=[OKABE_ITO[5], OKABE_ITO[1]],
            labels=["within urban/rural groups", "between urban and rural"],
            alpha=0.85,
        )
        right.plot(t, national["online_theil"], color="#000000", lw=1.5, label="Theil T (total)")
    left.set_title("Gini of online use across regions")
    left.set_ylabel("Gini coefficient (0 equal - 1 unequal)")
    right.set_title("Theil T: within and between urban-rural parts")
    right.set_ylabel("Theil T index (0 = equal)")
    for ax in (left, right):
        ax.set_xlabel("year")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    if several:
        scenario_legend(fig, [left], len(names), loc="upper right")
        styles = [
            matplotlib.lines.Line2D([], [], color="#444444", lw=2, label="Theil T (total)"),
            matplotlib.lines.Line2D(
                [], [], color="#444444", lw=1.5, ls="--", label="between urban and rural"
            ),
        ]
        right.legend(handles=styles, loc="upper right", frameon=False)
    else:
        for ax in (left, right):
            ax.legend(loc="upper right", frameon=False)
    band = "; median and 5-95% band across seeds" if n_seeds(national) > 1 else ""
    fig.suptitle(title or f"Regional disparity of online self-service over time (population-weighted{band})")
    return fig


# --- Stage-Model-Openness profile ------------------------------------------------------


@styled
def profile_figure(profile: pd.DataFrame, year: int | None = None, title: str | None = None) -> Figure:
    """The Stage-Model-Openness profile at the end of `year` (default: the last): one row
    per region and the nation, with its e-government stage, the strength of each
    interaction model (G2G, G2B, G2C narrow; B2G, C2G broad) and its openness. Cells of
    models active ahead of the stage the narrow sequence expects are outlined in
    vermillion and marked with a triangle."""
    from sim.model.framework import MODELS, OPENNESS_LEVELS

    year = int(profile["year"].max()) if year is None else year
    at = profile[profile["year"] == year].copy()
    at["_mean"] = at[[f"{m}_strength" for m in MODELS]].mean(axis=1)
    national = at[at["region"] == "National"]
    others = at[at["region"] != "National"].sort_values(["egov_stage", "_mean"], ascending=False)
    at = pd.concat([national, others])
    columns = ["Stage", *MODELS, "Openness"]
    n = len(at)
    fig, ax = plt.subplots(figsize=(10, 0.34 * n + 1.9), layout="constrained")
    stage_cmap, strength_cmap = matplotlib.colormaps["cividis"], matplotlib.colormaps["Blues"]
    for i, (_, row) in enumerate(at.iterrows()):
        y = -i
        stage = int(row["egov_stage"])
        cells = [(0, stage_cmap(0.15 + 0.85 * stage / 5), f"{stage} {EGOV_STAGES[stage]}")]
        for j, model in enumerate(MODELS, start=1):
            strength = float(row[f"{model}_strength"])
            cells.append((j, strength_cmap(0.08 + 0.85 * strength), f"{strength:.2f}"))
        openness = float(row["openness"])
        level = OPENNESS_LEVELS[int(row["openness_level"])]
        cells.append(
            (
                len(columns) - 1,
                strength_cmap(0.08 + 0.85 * openness),
                f"{openness:.2f} {level}",
            )
        )
        for x, colour, text in cells:
            ax.add_patch(matplotlib.patches.Rectangle((x, y), 0.96, 0.9, facecolor=colour, edgecolor="none"))
            weight = (
                "bold" if 1 <= x <= len(MODELS) and bool(row.get(f"{MODELS[x - 1]}_active", False)) else None
            )
            ax.text(
                x + 0.48,
                y + 0.45,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color=ink(colour),
                weight=weight,
            )
        for j, model in enumerate(MODELS, start=1):
            if bool(row[f"{model}_ahead"]):
                mark = matplotlib.patches.Rectangle(
                    (j + 0.02, y + 0.02), 0.92, 0.86, fill=False, edgecolor=HIGHLIGHT, lw=2.5
                )
                mark.set_gid(f"ahead:{row['region']}:{model}")
                ax.add_patch(mark)
                ax.text(j + 0.12, y + 0.45, "▲", color=HIGHLIGHT, fontsize=7, ha="center", va="center")
    ax.set_xlim(0, len(columns))
    ax.set_ylim(-n + 1, 1.0)
    ax.set_xticks([x + 0.48 for x in range(len(columns))], columns)
    ax.xaxis.tick_top()
    ax.set_yticks([-i + 0.45 for i in range(n)], at["region"])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_xlabel("stage 0-5; model strength and openness as indices 0-1 (bold: model active)", labelpad=8)
    handles = [
        matplotlib.patches.Patch(
            facecolor="white", edgecolor=HIGHLIGHT, lw=2.5, label="▲ active ahead of stage"
        ),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.04 - 0.5 / n), frameon=False)
    ahead = int(at["ahead_of_stage"].sum()) if "ahead_of_stage" in at else 0
    ax.set_title(
        title
        or f"Stage-Model-Openness profile, end of {year}: {ahead} of {n} places with a model ahead of stage"
    )
    return fig


# --- agencies by stage ---------------------------------------------------------------

AGENCY_STAGE_COLOURS = ("#E69F00", "#56B4E9", "#009E73")


@styled
def agency_stages_figure(
    national: pd.DataFrame, title: str | None = None, reference: str | None = None
) -> Figure:
    """Government agencies by digitalization stage (1 Automation, 2 Digitalization,
    3 Digital transformation) over time, stacked; one panel per scenario (mean across
    seeds)."""
    from sim.model.framework import AGENCY_STAGES

    names = scenarios_of(national, reference)
    fig, axes = plt.subplots(
        1,
        len(names),
        figsize=(min(max(5.5 * len(names), 9), 16), 4.2),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    columns = [f"agencies_stage{s}" for s in (1, 2, 3)]
    for ax, name in zip(axes[0], names, strict=True):
        table = of_scenario(national, name)
        mean = table.assign(t=decimal_year(table)).groupby("t")[columns].mean()
        ax.stackplot(
            mean.index,
            *(mean[c] for c in columns),
            colors=AGENCY_STAGE_COLOURS,
            labels=[f"{s} {AGENCY_STAGES[s]}" for s in (1, 2, 3)],
        )
        ax.set_xlabel("year")
        ax.set_title(str(name) if name is not None else "all agencies")
        ax.grid(alpha=0.3)
        ax.margins(x=0)
    axes[0][0].set_ylabel("agencies (count)")
    axes[0][0].legend(loc="lower left", frameon=True, framealpha=0.85)
    fig.suptitle(title or "Government agencies by digitalization stage over time")
    return fig


@styled
def exchange_figure(national: pd.DataFrame, title: str | None = None) -> Figure:
    """The government side's feedbacks over time: agencies on the data exchange, the share
    of data dependencies linked (fragmentation persists below 0.8, the integration broad
    e-government needs), integration, paper counters still open (usage-driven supply) and
    the share of service upkeep funded."""
    t = decimal_year(national)
    fig, ax = plt.subplots(figsize=(9, 4.2), layout="constrained")
    n_agencies = national[[f"agencies_stage{s}" for s in (1, 2, 3)]].sum(axis=1)
    ax.plot(t, national["agencies_joined"] / n_agencies, lw=2, label="agencies on the exchange")
    for column, style in (
        ("data_links_joined", "-"),
        ("interoperability", "--"),
        ("paper_counters", "-."),
        ("services_maintained", ":"),
    ):
        if column in national:
            ax.plot(t, national[column], style, lw=1.6, label=label(column))
    ax.axhline(0.8, color="#999999", lw=0.8)
    ax.text(t.iloc[0], 0.81, "broad e-government needs 0.8 of links", fontsize=8, color="#666666")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("year")
    ax.set_ylabel("share")
    ax.grid(alpha=0.3)
    ax.margins(x=0)
    ax.legend(loc="lower right", fontsize=8, framealpha=0.85)
    ax.set_title(title or "Data exchange, paper counters and upkeep")
    return fig


@styled
def policy_map_figure(
    grid: pd.DataFrame, here: tuple[float, float] | None = None, title: str | None = None
) -> Figure:
    """Interoperability minus new platforms at equal budget (sim.analysis.policy_map),
    over starting states (share of agencies on the exchange x mean service maturity),
    median across seeds; blue: interoperability wins, red: platforms win. `here` marks
    where the scenario itself stands at the switch year."""
    table = grid.groupby(["maturity", "joined_share"])["difference"].median().unstack("joined_share")
    limit = float(np.nanmax(np.abs(table.to_numpy()))) or 1.0
    fig, ax = plt.subplots(figsize=(6.8, 5), layout="constrained")
    joined, maturity = table.columns.to_numpy(float), table.index.to_numpy(float)
    mesh = ax.pcolormesh(
        _edges(joined), _edges(maturity), table.to_numpy(), cmap="RdBu", vmin=-limit, vmax=limit
    )
    for i, m in enumerate(maturity):
        for j, js in enumerate(joined):
            ax.text(js, m, f"{table.iloc[i, j]:+.3f}", ha="center", va="center", fontsize=7)
    if here is not None:
        ax.plot(*here, marker="*", ms=16, color="gold", mec="black", label="this scenario")
        ax.legend(loc="upper left", fontsize=8)
    fig.colorbar(mesh, ax=ax, label="interoperability minus platforms (effective quality)")
    ax.set_xlabel("agencies on the data exchange at the switch (share)")
    ax.set_ylabel("mean service maturity at the switch (level)")
    ax.set_title(title or "Interoperability or platforms? It depends on the starting state")
    return fig


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around sorted cell centres (for pcolormesh)."""
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    mid = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])


# --- sensitivity ---------------------------------------------------------------------


@styled
def sensitivity_figure(indices: pd.DataFrame, title: str | None = None) -> Figure:
    """Sensitivity of each outcome to the parameters, one panel per outcome.

    Morris (columns outcome, parameter, mu_star, mu_star_conf, sigma): mu* (mean
    absolute elementary effect) against sigma (its spread: interactions and
    non-linearity), with mu*'s confidence interval. Sobol (columns outcome, parameter,
    S1, S1_conf, ST, ST_conf): first-order and total indices with their intervals."""
    outcomes = list(dict.fromkeys(indices["outcome"]))
    morris = "mu_star" in indices
    fig, axes = plt.subplots(
        1, len(outcomes), figsize=(max(5.2 * len(outcomes), 6), 4.6), layout="constrained", squeeze=False
    )
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        rows = indices[indices["outcome"] == outcome].reset_index(drop=True)
        if morris:
            colours = [OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(rows))]
            for i, row in rows.iterrows():
                ax.errorbar(
                    row["mu_star"],
                    row["sigma"],
                    xerr=row.get("mu_star_conf", 0.0),
                    fmt="o",
                    color=colours[i],
                    ms=7,
                    capsize=3,
                    label=row["parameter"],
                )
            ax.set_xlabel("mu* (mean |elementary effect|, outcome units)")
            ax.set_ylabel("sigma (spread of effects, outcome units)")
            ax.set_xlim(left=0)
            ax.set_ylim(bottom=0)
            ax.legend(fontsize=8, frameon=False, loc="upper left")
        else:
            rows = rows.sort_values("ST")
            y = np.arange(len(rows))
            ax.barh(
                y + 0.2,
                rows["ST"],
                0.38,
                xerr=rows["ST_conf"],
                color=OKABE_ITO[0],
                label="total (ST)",
                capsize=3,
            )
            ax.barh(
                y - 0.2,
                rows["S1"],
                0.38,
                xerr=rows["S1_conf"],
                color=OKABE_ITO[1],
                label="first order (S1)",
                capsize=3,
            )
            ax.set_yticks(y, rows["parameter"])
            ax.set_xlabel("Sobol index (share of output variance)")
            ax.axvline(0, color="#444444", lw=0.8)
            ax.legend(frameon=False, loc="lower right")
        ax.set_title(str(outcome), fontsize=10)
        ax.grid(alpha=0.3)
    method = "Morris screening (95% CI)" if morris else "Sobol indices (95% CI)"
    fig.suptitle(title or f"Which parameters drive each outcome: {method}")
    return fig


# --- regional drivers ---------------------------------------------------------------

DRIVER_COLOURS = {
    "income": "#E69F00",
    "age": "#56B4E9",
    "settlement": "#009E73",
    "connectivity": "#CC79A7",
    "other": "#999999",
}


@styled
def drivers_figure(drivers: pd.DataFrame, title: str | None = None) -> Figure:
    """Why each region sits where it does: its gap to the national mean of online use
    (black dot) split into each regional input's contribution (stacked bars; grey: the
    rest, interactions and chance). `drivers` is sim.drivers.region_drivers' table."""
    inputs = [c for c in DRIVER_COLOURS if c in drivers]
    df = drivers.sort_values("gap")
    y = np.arange(len(df))
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(df) + 1.6), layout="constrained")
    left_pos, left_neg = np.zeros(len(df)), np.zeros(len(df))
    for name in inputs:
        v = df[name].to_numpy()
        left = np.where(v >= 0, left_pos, left_neg)
        ax.barh(y, v, left=left, color=DRIVER_COLOURS[name], label=name, height=0.7)
        left_pos += np.maximum(v, 0)
        left_neg += np.minimum(v, 0)
    ax.plot(df["gap"], y, "o", color="black", ms=5, label="gap to national mean")
    ax.axvline(0, color="#444444", lw=0.8)
    ax.set_yticks(y, df["region"])
    indicator = drivers.attrs.get("indicator", "online use")
    year = drivers.attrs.get("year", "")
    ax.set_xlabel(f"contribution to the region's gap to the national mean ({unit(indicator) or 'share'})")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title or f"{label(indicator).capitalize()}, {year}:\nwhat puts each region where it is")
    return fig
