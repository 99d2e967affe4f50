"""The HTML of a report: one self-contained page (style inline, figures embedded as
base64 PNGs, a Content-Security-Policy that forbids any fetch), and table formatting."""

from __future__ import annotations

import base64
import html
import io
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import sim
from sim.analysis.report.folders import REPORT

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1180px; padding: 1.5rem 2rem 4rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { margin-top: 2.4rem; border-bottom: 1px solid #ddd; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .88rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .25rem .6rem; text-align: right; vertical-align: top; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
td.text { text-align: left; }
figure { margin: 1.6rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: .9rem; margin-top: .3rem; }
nav a { margin-right: .9rem; } .note { color: #555; font-size: .9rem; }
details { margin: .4rem 0 1rem; } code { background: #f4f4f4; padding: 0 .2rem; }
.scroll { overflow-x: auto; }
"""
# Nothing may be fetched: images are data: URIs, style is inline.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@dataclass
class FigureBlock:
    name: str
    caption: str
    png: bytes


@dataclass
class Report:
    title: str
    subtitle: str
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # (anchor, heading, html)
    figures: list[FigureBlock] = field(default_factory=list)

    def add(self, anchor: str, heading: str, body: str) -> None:
        self.sections.append((anchor, heading, body))

    def figure(self, name: str, caption: str, draw: Callable[[], plt.Figure]) -> str:
        """Draw a figure, keep its PNG, and return its HTML."""
        fig = draw()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        plt.close(fig)
        block = FigureBlock(name, caption, buffer.getvalue())
        self.figures.append(block)
        data = base64.b64encode(block.png).decode("ascii")
        return (
            f'<figure id="fig-{esc(name)}"><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(caption)} <span class='note'>(fig_{esc(name)}.png)</span></figcaption>"
            "</figure>"
        )

    def html(self) -> str:
        nav = " ".join(f'<a href="#{esc(a)}">{esc(h)}</a>' for a, h, _ in self.sections)
        body = "\n".join(
            f'<section id="{esc(a)}"><h2>{esc(h)}</h2>\n{b}\n</section>' for a, h, b in self.sections
        )
        return (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(self.title)}</title><style>{CSS}</style></head><body>\n"
            f"<h1>{esc(self.title)}</h1><p class='sub'>{esc(self.subtitle)}</p><nav>{nav}</nav>\n{body}\n"
            f"<p class='note'>Written by egov-sim {esc(sim.__version__)} on "
            f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.</p></body></html>\n"
        )

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for block in self.figures:
            atomic_bytes(folder / f"fig_{block.name}.png", block.png)
        path = folder / REPORT
        atomic_bytes(path, self.html().encode("utf-8"))
        return path


def atomic_bytes(path: Path, data: bytes) -> None:
    """Write under a temporary name, then rename: no half-written file under `path`
    (as sim.experiments.results does for run folders)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def esc(text) -> str:
    return html.escape(str(text), quote=True)


def fmt(value, kind: str = "num") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "year":
        return f"{int(value)}"
    if isinstance(value, (int, np.integer)):
        return f"{value}"
    if isinstance(value, (float, np.floating)):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return esc(value)


def html_table(frame: pd.DataFrame, kinds: dict[str, str] | None = None, text: Iterable[str] = ()) -> str:
    kinds, text = kinds or {}, set(text)
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for c in frame.columns:
            value = row[c]
            css = " class='text'" if c in text else ""
            cells.append(f"<td{css}>{esc(value) if c in text else fmt(value, kinds.get(c, 'num'))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = "".join(rows)
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
