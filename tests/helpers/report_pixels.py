#!/usr/bin/env python3
"""Checks a screenshot of `halobox bench report` for its charts.

usage: report_pixels.py PNG CHARTS AXIS_COLOUR SERIES_COLOUR...

A chart is found by its x axis: a horizontal run of at least MIN_AXIS
pixels of exactly AXIS_COLOUR (the page draws axes 2 px wide with crisp
edges, so their colour survives anti-aliasing), with a y axis of that colour
rising from its left end (most of its pixels). Axes on the same rows are one chart (the bar
chart's two panels). The check passes when there are exactly CHARTS charts
and, in each, every series colour has pixels both inside the plot (above
the x axis, right of the y axis) and in the legend under it (the swatches at
the left edge of the chart). Prints what it found; exit status 0 when the
check passes, 1 when it does not, 2 on bad usage.
"""
import sys

from PIL import Image

MIN_AXIS = 200  # px: the page's narrowest plot (a bar panel) is 275
MIN_Y_AXIS = 150  # px of the 260 a plot is high
PLOT_HEIGHT = 260
MIN_PIXELS = 20  # of a colour, to count it as drawn there


def colour(text):
    text = text.lstrip("#")
    return tuple(int(text[i : i + 2], 16) for i in (0, 2, 4))


def x_axes(px, width, height, axis):
    """(y, x0, x1) of each horizontal run of the axis colour, one per line
    (a 2 px line gives two rows: the first one is kept)."""
    found = []
    for y in range(height):
        x = 0
        while x < width:
            if px[x, y] != axis:
                x += 1
                continue
            start = x
            while x < width and px[x, y] == axis:
                x += 1
            if x - start >= MIN_AXIS and not any(
                abs(y - fy) <= 3 and abs(start - fx0) <= 3 for fy, fx0, _ in found
            ):
                found.append((y, start, x - 1))
    return found


def y_axis(px, y, x0, axis):
    """The x of an axis-coloured column rising from near the x axis' left
    end (which the tick of 0 extends by a few pixels), or None. Counted, not
    a run: dots at the first depth are drawn over the axis."""
    for x in range(max(0, x0 - 2), x0 + 12):
        n = sum(1 for yy in range(max(0, y - PLOT_HEIGHT - 10), y + 1) if px[x, yy] == axis)
        if n >= MIN_Y_AXIS:
            return x
    return None


def count(px, box, want):
    x0, y0, x1, y1 = box
    n = 0
    for y in range(max(0, y0), y1):
        for x in range(max(0, x0), x1):
            if px[x, y] == want:
                n += 1
    return n


def main(argv):
    if len(argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    image = Image.open(argv[1]).convert("RGB")
    want_charts = int(argv[2])
    axis = colour(argv[3])
    series = [colour(c) for c in argv[4:]]
    px = image.load()
    width, height = image.size

    axes = []  # (y of the x axis, x of the y axis, right end of the x axis)
    for y, x0, x1 in x_axes(px, width, height, axis):
        x = y_axis(px, y, x0, axis)
        if x is not None:
            axes.append((y, x, x1))
    charts = []  # lists of axes sharing their rows
    for a in axes:
        for c in charts:
            if abs(c[0][0] - a[0]) <= 3:
                c.append(a)
                break
        else:
            charts.append([a])
    print(f"{len(charts)} chart(s) with axes: " + "; ".join(
        ", ".join(f"axes from ({x0},{y}) to x={x1}" for y, x0, x1 in c) for c in charts))
    ok = len(charts) == want_charts
    if not ok:
        print(f"expected {want_charts} chart(s)")
    for i, c in enumerate(charts):
        y = c[0][0]
        left = min(a[1] for a in c)
        right = max(a[2] for a in c)
        # From a little left of the y axis: a dot at x = 0 sits on it.
        plot = (left - 6, y - PLOT_HEIGHT - 6, right + 6, y)
        legend = (left - 2, y + 30, left + 30, min(height, y + 60 + 20 * len(series) + 20))
        for s in series:
            name = "#%02x%02x%02x" % s
            in_plot = count(px, plot, s)
            in_legend = count(px, legend, s)
            print(f"chart {i + 1}: {name}: {in_plot} px in the plot, {in_legend} in the legend")
            if in_plot < MIN_PIXELS or in_legend < MIN_PIXELS:
                print(f"chart {i + 1}: series {name} is not drawn in both the plot and the legend")
                ok = False
    print("ok" if ok else "check failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
