"""What one Workshop rerun costs with a full room in the store: participant and facilitator pages.

Seeds a store with the demo and a workshop that 20 participants have scored (15 scores each) and
voted on, then runs the Workshop page in-process with Streamlit's AppTest: the first load, then
reruns with nothing new (what every screen's 3-second refresh costs) and reruns after one new score
(what a click costs everyone). Prints ms per rerun (median of `--runs`) for both pages and, with
`--profile`, the facilitator rerun's top functions by cumulative time.

    .venv/bin/python -m benchmarks.workshop_rerun [--participants 20] [--runs 10] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from benchmarks.workshop_room import SHORTLIST, dots_of, score_of
from northstar import workshop as ws
from northstar.ingest import load_demo
from northstar.store import Store
from northstar.store.core import DB_ENV

ROOT = Path(__file__).resolve().parents[1]
PIN = "room-pin-7"


def seed(db: Path, count: int) -> tuple[str, str, dict[str, str]]:
    """The demo, a workshop, `count` participants who scored everything and voted; (code, host, keys)."""
    with Store(db) as store:
        load_demo(store)
        workshop = ws.create_workshop(store, "Room", SHORTLIST, PIN, dataset="demo")
        keys = {}
        for person in range(count):
            joined = ws.join(store, workshop.code, f"P{person:02d}")
            assert joined.secret is not None
            keys[joined.name] = joined.secret
            for c, (candidate, _) in enumerate(SHORTLIST):
                ws.set_scores(store, workshop.code, joined.name, candidate,
                              {k: score_of(person, c, i) for i, k in enumerate(ws.CRITERION_KEYS)},
                              secret=joined.secret)
            ws.set_votes(store, workshop.code, joined.name, dots_of(person), secret=joined.secret)
    assert workshop.host_secret is not None
    return workshop.code, workshop.host_secret, keys


def page(code: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run().switch_page("pages/4_Workshop.py")
    at.query_params.update({"workshop": code, "lang": "en", **params})
    at.run()
    assert not at.exception, at.exception
    assert any("Live results" in m.value for m in at.markdown), "not on the Workshop page"
    return at


def timed(at: AppTest, runs: int, before=None) -> float:
    """Median ms of `runs` reruns (calling `before(i)` ahead of each, outside the clock)."""
    took = []
    for i in range(runs):
        if before is not None:
            before(i)
        began = time.perf_counter()
        at.run()
        took.append((time.perf_counter() - began) * 1000)
        assert not at.exception, at.exception
    return statistics.median(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=20)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store"
        code, host, keys = seed(db, args.participants)
        os.environ[DB_ENV] = str(db)
        store = Store(db)

        def new_score(i: int) -> None:  # someone else changes a score: the results stamp moves
            ws.set_scores(store, code, "P00", SHORTLIST[0][0], {"critical": 1 + i % 5}, secret=keys["P00"])

        name = "P01"
        rows = []
        for who, at in (("participant", page(code, name=name, key=keys[name])),
                        ("facilitator", page(code, host=host))):
            quiet = timed(at, args.runs)
            moved = timed(at, args.runs, new_score)
            rows.append((who, quiet, moved))
        for who, quiet, moved in rows:
            print(f"{who:12s} rerun, nothing new: {quiet:6.0f} ms   after a new score: {moved:6.0f} ms")
        if args.profile:
            at = page(code, host=host)
            profile = cProfile.Profile()
            profile.enable()
            at.run()
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(r"northstar|pages", 25)
        store.close()
        print(f"participants={args.participants} participant_ms={rows[0][1]:.0f} "
              f"facilitator_ms={rows[1][1]:.0f} after_write_ms={rows[1][2]:.0f}")


if __name__ == "__main__":
    main()
