"""Markdown and PNG charts from a `wasmhost bench` result, and the comparison of two."""

from __future__ import annotations

import json
from pathlib import Path

TIERS = ("compile", "load_cached", "instantiate_pooling", "instantiate_ondemand", "first_invoke",
         "warm_invoke", "strict_invoke")


def _fmt(us: float) -> str:
    return f"{us / 1000:,.1f} ms" if us >= 10_000 else f"{us:,.1f} µs"


def markdown(doc: dict, charts: dict[str, str] | None = None) -> str:
    m = doc["meta"]
    lines = [f"# wasmhost bench — {m['time']}", "",
             f"{m['cpu'] or m['machine']}, {m['cpus']} CPUs; Python {m['python']}, wasmtime {m['wasmtime']}; "
             f"pooling allocator: {m.get('pooling')}; load average {m['loadavg_start'][0]:.2f} → "
             f"{m.get('loadavg_end', [0])[0]:.2f}. Settings: {json.dumps(doc['settings'])}.", "",
             "## Tiers per guest kind (p50, with p99 and the spread of the repeats' p50s)", "",
             "| kind | " + " | ".join(t for t in TIERS) + " |", "|---|" + "---|" * len(TIERS)]
    for kind, tiers in doc["kinds"].items():
        cells = []
        for t in TIERS:
            v = tiers.get(t)
            cells.append("" if v is None else f"{_fmt(v['p50_us'])} (p99 {_fmt(v['p99_us'])}, ±{v['spread_pct']}%)")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines += ["", "## Peers, same run (64-byte echo)", "", "| peer | p50 | p90 | p99 | max | n |", "|---|---|---|---|---|---|"]
    for peer, v in doc["peers"].items():
        lines.append(f"| {peer} | {_fmt(v['p50_us'])} | {_fmt(v['p90_us'])} | {_fmt(v['p99_us'])} | "
                     f"{_fmt(v['max_us'])} | {v['n']} |")
    if doc.get("http"):
        lines += ["", "## HTTP (wrk, 64-byte POST; vs floor: the median ratio to the plain aiohttp echo, per round)",
                  "", "| target | req/s | p50 | p99 | vs floor |", "|---|---|---|---|---|"]
        for k, v in doc["http"]["results"].items():
            ratio = f"{v['vs_floor']:.2f}×" if "vs_floor" in v else ""
            lines.append(f"| {k} | {v['rps']:,.0f} | {_fmt(v['p50_us'])} | {_fmt(v['p99_us'])} | {ratio} |")
    lines += ["", "## Ratios", ""] + [f"- {k}: {v:.2f}×" for k, v in doc["ratios"].items()]
    if doc["missing"]:
        lines += ["", "## Missing (reported, not dropped)", ""]
        lines += [f"- **{x['peer']}**: {x['reason']}" + (f" (install: `{x['install']}`)" if x["install"] else "")
                  for x in doc["missing"]]
    if charts:
        lines += ["", "## Charts", ""] + [f"![{title}]({path})" for title, path in charts.items()]
    return "\n".join(lines) + "\n"


def charts(doc: dict, out_dir: Path) -> dict[str, str]:
    """Latency distribution per tier (from stored quantiles) and cold vs warm per kind."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}
    out_dir.mkdir(parents=True, exist_ok=True)
    made = {}
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for kind, tiers in doc["kinds"].items():
        for tier in ("warm_invoke", "strict_invoke", "first_invoke"):
            if tier in tiers:
                qs = tiers[tier]["quantiles_us"]
                ax.plot([float(q) * 100 for q in qs], list(qs.values()), marker="o", label=f"{kind} {tier}")
    ax.set_yscale("log")
    ax.set_xlabel("percentile")
    ax.set_ylabel("latency (µs, log)")
    ax.set_title("Latency distribution per tier")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(out_dir / "latency.png", dpi=110)
    plt.close(fig)
    made["Latency distribution per tier"] = "latency.png"
    kinds = list(doc["kinds"])
    if kinds:
        fig, ax = plt.subplots(figsize=(9, 4.5))
        x = range(len(kinds))
        for i, tier in enumerate(("first_invoke", "warm_invoke", "strict_invoke")):
            ax.bar([k + (i - 1) * 0.27 for k in x], [doc["kinds"][k][tier]["p50_us"] for k in kinds], width=0.27,
                   label=tier)
        ax.set_xticks(list(x), kinds)
        ax.set_yscale("log")
        ax.set_ylabel("p50 (µs, log)")
        ax.set_title("Cold (first invoke) against warm, per guest kind")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / "cold_vs_warm.png", dpi=110)
        plt.close(fig)
        made["Cold against warm per guest kind"] = "cold_vs_warm.png"
    return made


def compare(old: dict, new: dict, threshold_pct: float = 10.0) -> tuple[str, int]:
    """A table of every p50 present in both runs; returns it and the number of regressions."""
    rows, regressions = [], 0

    def walk(a: dict, b: dict, prefix: str) -> None:
        nonlocal regressions
        for key in sorted(set(a) & set(b)):
            va, vb = a[key], b[key]
            if isinstance(va, dict) and "p50_us" in va and isinstance(vb, dict) and "p50_us" in vb:
                change = 100 * (vb["p50_us"] - va["p50_us"]) / va["p50_us"] if va["p50_us"] else 0.0
                verdict = "regression" if change > threshold_pct else ("gain" if change < -threshold_pct else "")
                regressions += verdict == "regression"
                rows.append(f"| {prefix}{key} | {_fmt(va['p50_us'])} | {_fmt(vb['p50_us'])} | {change:+.1f}% | {verdict} |")
            elif isinstance(va, dict) and isinstance(vb, dict):
                walk(va, vb, f"{prefix}{key}.")
    walk({"kinds": old.get("kinds", {}), "peers": old.get("peers", {})},
         {"kinds": new.get("kinds", {}), "peers": new.get("peers", {})}, "")
    table = "\n".join(["| metric | old p50 | new p50 | change | |", "|---|---|---|---|---|", *rows])
    return table + f"\n\n{regressions} regression(s) beyond ±{threshold_pct:.0f}%\n", regressions
