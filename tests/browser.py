"""Helpers for browser tests: the real Streamlit server on a free port, Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def shot(page, name: str) -> None:
    """Save a screenshot into test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def no_exception(page) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stException")).to_have_count(0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Debian's chromium is not installed: run `make test`, which installs it "
                           "(apt-get install chromium).")
    return path


@contextmanager
def streamlit_server(db: Path, log: Path) -> Iterator[str]:
    """`make run` in miniature: load the demo if the store is empty, then serve app.py."""
    env = {**os.environ, "NORTHSTAR_DB": str(db)}
    subprocess.run([sys.executable, "-m", "northstar", "ensure-demo", "--db", str(db)], cwd=ROOT,
                   env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            # Loopback only: tests reach nothing else (the join link then says phones cannot open it).
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Streamlit did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def choose(page, combobox: str, *options: str, attempts: int = 5) -> None:
    """Pick `options` in a Streamlit selectbox/multiselect by its label.

    A click that lands while the page reruns can open a dropdown that the rerun closes again;
    so open it, wait briefly for the option, and open it again if it isn't there.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.get_by_role("combobox", name=combobox)
    for option in options:
        for attempt in range(attempts):
            box.click()
            choice = page.get_by_role("option", name=option, exact=True)
            try:
                choice.click(timeout=3_000)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
                if attempt == attempts - 1:
                    raise
    if len(options) > 1:
        page.keyboard.press("Escape")
