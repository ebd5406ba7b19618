"""Turns bench/run.py's raw results into summary.md (medians, min-max, ratios) and PNG plots."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

# Not peers: godkend itself, and the floor (one pre-serialised loopback write per delivery and
# nothing else, bench/peers/direct_server.py --floor), the machine's limit for any server that
# writes to each recipient separately.
NOT_PEERS = {"godkend", "floor"}


def mm(values: list[float], fmt: str = "{:,.0f}") -> str:
    clean = [v for v in values if v is not None and not math.isnan(v)]
    if not clean:
        return "n/a"
    m = statistics.median(clean)
    return f"{fmt.format(m)} ({fmt.format(min(clean))}-{fmt.format(max(clean))})"


def median(values: list[float]) -> float:
    clean = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(clean) if clean else float("nan")


def ratio(a: float, b: float) -> str:
    if math.isnan(a) or math.isnan(b) or not b:
        return "n/a"
    return f"{a / b:.2f}x"


def fanout_table(rows: list[dict[str, Any]]) -> list[str]:
    groups: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["clients"], r["system"])].append(r)
    lines = []
    for clients in sorted({c for c, _ in groups}):
        for ph in ("steady", "burst"):
            lines += [
                "",
                f"**Fan-out, C = {clients:,}, {ph} phase**",
                "",
                "| system | delivered msgs/s | p50 ms | p99 ms | server CPU µs/delivery "
                "| PostgreSQL CPU µs/delivery | driver CPU µs/delivery | delivered/offered "
                "| resets |",
                "|---|---|---|---|---|---|---|---|---|",
            ]
            best: dict[str, float] = {}
            meds: dict[str, dict[str, float]] = {}
            for (c, system), runs in sorted(groups.items()):
                if c != clients:
                    continue
                ok = [r for r in runs if ph in r]
                if not ok:
                    lines.append(f"| {system} | failed: {runs[0].get('error', '?')[:80]} |||||||")
                    continue
                p = [r[ph] for r in ok]
                meds[system] = {
                    "cpu": median([x["server_cpu_us_per_delivery"] for x in p]),
                    "p99": median([x["p99_ms"] for x in p]),
                }
                lines.append(
                    f"| {system} | {mm([x['msgs_per_s'] for x in p])} "
                    f"| {mm([x['p50_ms'] for x in p], '{:.1f}')} "
                    f"| {mm([x['p99_ms'] for x in p], '{:.1f}')} "
                    f"| {mm([x['server_cpu_us_per_delivery'] for x in p], '{:.1f}')} "
                    f"| {mm([x['pg_cpu_us_per_delivery'] for x in p], '{:.1f}')} "
                    f"| {mm([x['driver_cpu_us_per_delivery'] for x in p], '{:.1f}')} "
                    f"| {mm([x['delivered'] / x['offered'] * 100 for x in p], '{:.0f}')} % "
                    f"| {mm([r.get('resets', 0) for r in ok])} |"
                )
            peers = {k: v for k, v in meds.items() if k not in NOT_PEERS}
            if "godkend" in meds and peers:
                for key in ("cpu", "p99"):
                    best[key] = min(v[key] for v in peers.values())
                bcpu = min(peers, key=lambda k: peers[k]["cpu"])
                bp99 = min(peers, key=lambda k: peers[k]["p99"])
                lines += [
                    "",
                    f"godkend vs best peer: server CPU/delivery "
                    f"{ratio(meds['godkend']['cpu'], best['cpu'])} of {bcpu}'s (target <= 0.5x); "
                    f"p99 {ratio(meds['godkend']['p99'], best['p99'])} of {bp99}'s"
                    + (" (target <= 0.8x)" if ph == "steady" else ""),
                ]
                if "floor" in meds:
                    floor = meds["floor"]["cpu"]
                    lines.append(
                        f"Floor (one write per delivery, nothing else): {floor:.1f} µs per "
                        f"delivery; godkend {ratio(meds['godkend']['cpu'], floor)} of it, best "
                        f"peer {ratio(best['cpu'], floor)}; 0.5x the best peer is "
                        f"{ratio(best['cpu'] / 2, floor)} of the floor."
                    )
    return lines


def write(report: dict[str, Any], folder: Path) -> None:
    m = report["machine"]
    lines = [
        "# godkend benchmark results",
        "",
        f"{'QUICK run' if report['quick'] else 'Full run'}; each scenario {report['runs']} times;"
        " median (min-max). Everything on loopback on one machine: servers, PostgreSQL and the"
        " load driver share the cores, so absolute rates are floors; CPU per delivery is the"
        " least distorted figure.",
        "",
        f"Machine: {m['nproc']} cores, {m['cpu']}, {m['memory_gb']} GB RAM, Linux {m['kernel']};"
        f" Python {m['python']}, PostgreSQL {m['postgresql']}, Node {m['node']}."
        f" {m['compression']}.",
    ]
    if report.get("note"):
        lines += ["", f"Note: {report['note']}"]
    if "fanout" in report:
        lines += fanout_table(report["fanout"])
        lines += [
            "",
            "Latency: godkend and broadcaster from the producer's commit returning; direct and"
            " socket.io from the producer's publish call. Server CPU = utime+stime of the server"
            " processes (/proc/<pid>/stat); PostgreSQL CPU = the postmaster and its backends"
            " (the producer's own backend included).",
        ]
    lines += commit_table(report)
    if "decisions" in report:
        d = report["decisions"]
        lines += [
            "",
            "**Decisions over HTTP** (8 concurrent approvers, 2 instances; latency from the"
            " event row's insert, inside the transaction, to the requester's and approver's"
            " sockets)",
            "",
            "| approvals/s | p50 ms | p99 ms | deliveries | server CPU ms/decision | errors |",
            "|---|---|---|---|---|---|",
            f"| {mm([r['approvals_per_s'] for r in d], '{:.1f}')} "
            f"| {mm([r['p50_ms'] for r in d], '{:.1f}')} | {mm([r['p99_ms'] for r in d], '{:.1f}')}"
            f" | {sum(r['deliveries'] for r in d)} of {sum(r['expected_deliveries'] for r in d)}"
            f" | {mm([r['server_cpu_ms_per_decision'] for r in d], '{:.1f}')}"
            f" | {sum(r['errors'] for r in d)} |",
        ]
    if "idle" in report:
        lines += [
            "",
            "**Idle connections** (RSS growth of one instance)",
            "",
            "| system | connections | KB per connection |",
            "|---|---|---|",
        ]
        by2: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in report["idle"]:
            by2[r["system"]].append(r)
        for k, rs in by2.items():
            lines.append(
                f"| {k} | {rs[0]['connections']:,} | "
                f"{mm([r['kb_per_connection'] for r in rs], '{:.1f}')} |"
            )
    if "storm" in report:
        s = report["storm"]
        lines += [
            "",
            f"**Reconnect storm** ({s[0]['clients']:,} streams over 2 instances, kill -9 of one,"
            " 20 events/s throughout)",
            "",
            "| all resumed (s) | p50 resume (s) | reconnected | lost | duplicated | resets |",
            "|---|---|---|---|---|---|",
            f"| {mm([r['resumed_all_s'] for r in s], '{:.2f}')} "
            f"| {mm([r['resume_p50_s'] for r in s], '{:.2f}')} "
            f"| {mm([r['reconnected'] for r in s])} | {sum(r['lost'] for r in s)} "
            f"| {sum(r['duplicated'] for r in s)} | {sum(r['resets'] for r in s)} |",
        ]
    if "inbox" in report:
        ib = report["inbox"]
        lines += [
            "",
            f"**Inbox at scale** ({ib[0]['requests']:,} requests, {ib[0]['users']:,} users; one"
            " instance; sequential GETs as the 10 busiest approvers, client-side latency)",
            "",
            "| endpoint | items per page | p50 ms | p99 ms |",
            "|---|---|---|---|",
        ]
        for key, path in (
            ("inbox", "GET /api/v1/inbox"),
            ("mine", "GET /api/v1/requests?mine=true"),
        ):
            lines.append(
                f"| {path} | {ib[0][key]['items_median']:.0f} "
                f"| {mm([r[key]['p50_ms'] for r in ib], '{:.1f}')} "
                f"| {mm([r[key]['p99_ms'] for r in ib], '{:.1f}')} |"
            )
    lines += targets(report)
    lines += ["", f"Wall time: {report['wall_s']:.0f} s.", ""]
    (folder / "summary.md").write_text("\n".join(lines))
    plots(report, folder)


def plots(report: dict[str, Any], folder: Path) -> None:
    if "fanout" not in report:
        return
    rows = [r for r in report["fanout"] if "steady" in r]
    for clients in sorted({r["clients"] for r in rows}):
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
        systems = sorted({r["system"] for r in rows if r["clients"] == clients})
        for ax, (title, key, ph) in zip(
            axes,
            (
                ("server CPU µs per delivery (steady)", "server_cpu_us_per_delivery", "steady"),
                ("p99 latency ms (steady)", "p99_ms", "steady"),
                ("delivered msgs/s (burst)", "msgs_per_s", "burst"),
            ),
            strict=True,
        ):
            vals = [
                [r[ph][key] for r in rows if r["clients"] == clients and r["system"] == s]
                for s in systems
            ]
            meds = [median(v) for v in vals]
            lo = [m - min(v) for m, v in zip(meds, vals, strict=True)]
            hi = [max(v) - m for m, v in zip(meds, vals, strict=True)]
            ax.bar(
                systems,
                meds,
                yerr=[lo, hi],
                capsize=4,
                color=["#1f5fa8" if s == "godkend" else "#999" for s in systems],
            )
            ax.set_title(title, fontsize=10)
        fig.suptitle(f"Fan-out, C = {clients:,} (median, min-max of {report['runs']} runs)")
        fig.tight_layout()
        fig.savefig(folder / f"fanout-{clients}.png", dpi=90)
        plt.close(fig)


def targets(report: dict[str, Any]) -> list[str]:
    """The issue's targets, each with this run's figure and a verdict."""
    rows: list[tuple[str, str, bool]] = []
    fan = [r for r in report.get("fanout", []) if "steady" in r]
    for clients in sorted({r["clients"] for r in fan}):
        meds: dict[str, dict[str, float]] = {}
        for system in {r["system"] for r in fan if r["clients"] == clients}:
            p = [r["steady"] for r in fan if r["clients"] == clients and r["system"] == system]
            meds[system] = {
                "cpu": median([x["server_cpu_us_per_delivery"] for x in p]),
                "p99": median([x["p99_ms"] for x in p]),
            }
        peers = [v for k, v in meds.items() if k not in NOT_PEERS]
        if "godkend" in meds and peers:
            for key, limit, what in (("cpu", 0.5, "server CPU/delivery"), ("p99", 0.8, "p99")):
                best = min(v[key] for v in peers)
                r = meds["godkend"][key] / best
                rows.append(
                    (f"C={clients:,} steady {what} <= {limit}x best peer", f"{r:.2f}x", r <= limit)
                )
    rows += commit_targets(report)
    idle = [r["kb_per_connection"] for r in report.get("idle", []) if r["system"] == "godkend"]
    if idle:
        rows.append(("<= 30 KB per idle connection", f"{median(idle):.1f} KB", median(idle) <= 30))
    storm = report.get("storm", [])
    if storm:
        t = median([r["resumed_all_s"] for r in storm])
        lost = sum(r["lost"] for r in storm)
        dups = sum(r["duplicated"] for r in storm)
        rows.append(("storm resumed <= 5 s", f"{t:.2f} s", t <= 5))
        rows.append(("storm 0 lost, 0 duplicated", f"{lost} lost, {dups} dup", not lost + dups))
    for key in ("inbox", "mine"):
        ib = [r[key]["p99_ms"] for r in report.get("inbox", [])]
        if ib:
            rows.append((f"{key} p99 <= 20 ms", f"{median(ib):.1f} ms", median(ib) <= 20))
    if not rows:
        return []
    out = ["", "**Targets**", "", "| target | this run | met |", "|---|---|---|"]
    out += [f"| {t} | {v} | {'yes' if ok else '**no**'} |" for t, v, ok in rows]
    return out


def commit_table(report: dict[str, Any]) -> list[str]:
    if "commit" not in report:
        return []
    lines: list[str] = []
    by: dict[str, list[float]] = defaultdict(list)
    for r in report["commit"]:
        by[r["variant"]].append(r["commits_per_s"])
    ins = median(by["insert_only"])
    lines += [
        "",
        "**Commit path** (pgbench, 8 clients, one outbox-shaped INSERT per transaction)",
        "",
        "| variant | commits/s | vs INSERT-only |",
        "|---|---|---|",
    ]
    names = {
        "godkend": "godkend: outbox INSERT; NOTIFY outside, at most one per 2 ms (MIN_GAP)",
        "godkend_b2b": "godkend before MIN_GAP: outbox INSERT; NOTIFY outside, back to back",
        "insert_notify": "INSERT + NOTIFY in the transaction",
        "insert_only": "INSERT only",
    }
    for k in ("godkend", "godkend_b2b", "insert_notify", "insert_only"):
        if k not in by:
            continue
        lines.append(f"| {names[k]} | {mm(by[k])} | {ratio(median(by[k]), ins)} |")
    nl = report.get("notify_limits", [])
    if nl:
        lines += [
            "",
            f"Raw NOTIFY -> LISTEN (asyncpg): round trip p50 "
            f"{mm([r['rtt_p50_ms'] for r in nl], '{:.2f}')} ms, p99 "
            f"{mm([r['rtt_p99_ms'] for r in nl], '{:.2f}')} ms; back-to-back "
            f"{mm([r['notify_per_s'] for r in nl])} notifications/s.",
        ]
    return lines


def commit_targets(report: dict[str, Any]) -> list[tuple[str, str, bool]]:
    if "commit" not in report:
        return []
    rows: list[tuple[str, str, bool]] = []
    by: dict[str, list[float]] = defaultdict(list)
    for c in report["commit"]:
        by[c["variant"]].append(c["commits_per_s"])
    for k, label in (("godkend", ""), ("godkend_b2b", " (before MIN_GAP, for contrast)")):
        if k in by:
            r = median(by[k]) / median(by["insert_only"])
            rows.append((f"commit rate >= 0.9x INSERT-only{label}", f"{r:.2f}x", r >= 0.9))
    return rows


def profile_markdown(raw: Path, clients: int, seconds: float, top: int = 15) -> str:
    """py-spy's raw stacks (one `frame;frame;... count` per line) as two tables: self time
    and, for godkend's own frames, inclusive time, in % of the samples in which the
    instance was busy."""
    own: dict[str, int] = defaultdict(int)
    inclusive: dict[str, int] = defaultdict(int)
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            if "godkend/" in frame and "cli.py" not in frame:
                inclusive[frame] += int(count)
    lines = [
        f"# py-spy: godkend instance 1, fan-out C = {clients:,}, steady phase",
        "",
        f"{seconds:g} s at 200 Hz, `--nonblocking`, {total} busy samples "
        "(`BENCH_PROFILE=1 bench/run.py --only fanout --systems godkend`). The event loop's own "
        "C work (uvloop: polling, I/O callbacks, task steps) shows as `Runner.run`; a socket "
        "write's system call shows on the Python line that calls `transport.write`.",
        "",
        "## Top self time",
        "",
        "| % | function |",
        "|---|---|",
    ]
    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"| {100 * n / max(total, 1):.1f} | `{frame}` |")
    lines += ["", "## Inclusive, godkend frames", "", "| % | function |", "|---|---|"]
    for frame, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"| {100 * n / max(total, 1):.1f} | `{frame}` |")
    return "\n".join(lines) + "\n"
