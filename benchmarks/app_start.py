"""How long the app takes to start: `streamlit run` launched → home page rendered in Chromium.

Runs against a checkout (default: this one) with a store that already holds the demo, three times,
and prints each time and the median; `--repo` points at another checkout (e.g. an older commit in a
git worktree) to compare before and after on the same machine:

    .venv/bin/python -m benchmarks.app_start [--repo PATH] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser import CHROMIUM_ARGS, chromium_path, free_port

ROOT = Path(__file__).resolve().parent.parent


def start_once(repo: Path, db: Path, browser) -> float:
    port = free_port()
    env = {**os.environ, "NORTHSTAR_DB": str(db)}
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                            cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        page = browser.new_page()
        deadline = time.monotonic() + 60
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/", timeout=2_000)
                break
            except Exception:  # the server is not listening yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        page.get_by_text("The path through Northstar").wait_for(timeout=60_000)
        elapsed = time.monotonic() - t0
        page.close()
        return elapsed
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    repo = args.repo.resolve()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "store"
        subprocess.run([sys.executable, "-m", "northstar", "ensure-demo", "--db", str(db)], cwd=repo,
                       check=True, capture_output=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            times = [start_once(repo, db, browser) for _ in range(args.runs)]
            browser.close()
    print("runs: " + ", ".join(f"{t:.2f} s" for t in times))
    print(f"repo={repo} start_s={statistics.median(times):.2f}")


if __name__ == "__main__":
    main()
