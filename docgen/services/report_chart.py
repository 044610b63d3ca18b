"""The chart of the monthly report: matters by department and light, as a PNG.

Drawn with matplotlib (Agg, no display) in the same Chinese faces as the
papers: the font names the templates use (黑体 for the title, 仿宋 for the
labels) are resolved through docgen's own fontconfig file
(``docgen/fonts/fonts.conf``, the one LibreOffice uses), so the chart and the
text around it come from the same font files.
"""

from __future__ import annotations

import functools
import io
import os
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

FONTS_CONF = Path(__file__).resolve().parent.parent / "fonts" / "fonts.conf"
# the light of each bar segment, with its Chinese name and print-friendly colour
SEGMENTS = (
    ("done", "已报结", "#9e9e9e"),
    ("green", "绿灯", "#2e7d32"),
    ("yellow", "黄灯", "#f9a825"),
    ("red", "红灯", "#c62828"),
)
_lock = threading.Lock()  # matplotlib's font manager is not thread-safe


@dataclass(frozen=True)
class ChartRow:
    """One department's matters: done, and the open ones by light."""

    department: str
    done: int = 0
    green: int = 0
    yellow: int = 0
    red: int = 0


@functools.lru_cache(maxsize=8)
def face(name: str) -> font_manager.FontProperties:
    """The installed face fontconfig gives for an official font name (仿宋_GB2312, 黑体…)."""
    env = dict(os.environ, FONTCONFIG_FILE=str(FONTS_CONF))
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{family[0]}", name], env=env, capture_output=True, text=True, timeout=30, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        found = []
    if len(found) < 2 or not Path(found[0]).is_file():
        return font_manager.FontProperties(family="sans-serif")
    path, family = found[0], found[1]
    with _lock:
        if family not in {f.name for f in font_manager.fontManager.ttflist}:
            font_manager.fontManager.addfont(path)  # every face of a .ttc collection
    return font_manager.FontProperties(family=family)


def matters_chart(rows: Sequence[ChartRow], title: str | None = None, width_mm: float = 150.0) -> bytes:
    """A horizontal stacked bar per department (已报结 / 绿灯 / 黄灯 / 红灯), counts printed on the bars.

    ``title`` is drawn above the bars; a report leaves it out, its caption under the figure names it."""
    label_face, title_face = face("仿宋_GB2312"), face("黑体")
    height_mm = min(200.0, 40.0 + 10.0 * max(1, len(rows)))
    with _lock:
        figure = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=200)
        axes = figure.add_subplot()
        names = [r.department for r in rows][::-1]
        left = [0] * len(names)
        for key, label, colour in SEGMENTS:
            values = [getattr(r, key) for r in rows][::-1]
            bars = axes.barh(names, values, left=left, color=colour, label=label, height=0.6)
            for bar, value in zip(bars, values, strict=True):
                if value:
                    axes.text(
                        bar.get_x() + bar.get_width() / 2,
                        bar.get_y() + bar.get_height() / 2,
                        str(value),
                        ha="center",
                        va="center",
                        color="white" if key != "yellow" else "black",
                        fontproperties=label_face,
                        fontsize=10,
                    )
            left = [a + b for a, b in zip(left, values, strict=True)]
        if title:
            axes.set_title(title, fontproperties=title_face, fontsize=12)
        axes.set_xlabel("督查事项（项）", fontproperties=label_face, fontsize=11)
        axes.xaxis.get_major_locator().set_params(integer=True)
        for tick in axes.get_yticklabels() + axes.get_xticklabels():
            tick.set_fontproperties(label_face)
            tick.set_fontsize(11)
        axes.spines[["top", "right"]].set_visible(False)
        legend = figure.legend(ncols=4, loc="lower center", frameon=False, prop=label_face)
        for text in legend.get_texts():
            text.set_fontsize(11)
        figure.tight_layout(rect=(0, 14 / height_mm, 1, 1))
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()
