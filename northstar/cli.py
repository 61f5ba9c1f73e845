"""The command line: `python -m northstar demo|ingest|datasets|ensure-demo` (a contract, see design.md)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from northstar.errors import NorthstarError
from northstar.specs import GRAINS
from northstar.store import Dataset, Store, default_db_path


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line message, like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise NorthstarError("Bad arguments", f"{message}. See `python -m northstar --help`.")


def describe(dataset: Dataset) -> str:
    span = (f"{dataset.first_ts:%Y-%m-%d} → {dataset.last_ts:%Y-%m-%d}"
            if dataset.first_ts and dataset.last_ts else "no dates")
    return (f"{dataset.name}: {dataset.rows:,} rows, {dataset.users:,} users, {span} "
            f"(from {dataset.source})")


def _cmd_demo(args: argparse.Namespace) -> None:
    from northstar.demo import write_demo_csv

    rows = write_demo_csv(args.out, seed=args.seed)
    print(f"Wrote {rows:,} demo events to {args.out}")


def _cmd_ingest(args: argparse.Namespace) -> None:
    from northstar.ingest import ingest_file
    from northstar.roles import parse_overrides

    overrides = parse_overrides(args.map or [])
    store = Store(args.db)
    try:
        dataset = ingest_file(store, args.file, dataset=args.dataset, overrides=overrides)
    finally:
        store.close()
    print(f"Loaded {describe(dataset)}")
    for note in dataset.notes:
        print(f"  - {note}")


def _specs(store: Store, dataset: Dataset, candidates: Path | None) -> list:
    from northstar.candidates import saved_candidates
    from northstar.specs import load_yaml

    if candidates is None:
        return saved_candidates(store, dataset)
    try:
        text = candidates.read_text(encoding="utf-8")
    except OSError as err:
        raise NorthstarError("Cannot read candidates file", f"{candidates}: {err.strerror}.") from None
    return load_yaml(text)


def _cmd_metrics(args: argparse.Namespace) -> None:
    from northstar.compiler import compute

    store = Store(args.db)
    try:
        dataset = store.dataset(args.dataset)
        frame = compute(store, dataset, _specs(store, dataset, args.candidates), args.grain)
    finally:
        store.close()
    out = frame[["period", "metric", "value"]].copy()
    out["period"] = out["period"].dt.strftime("%Y-%m-%d")
    if args.format == "json":
        print(out.to_json(orient="records", double_precision=10))
    else:
        print(out.to_csv(index=False, float_format="%.10g"), end="")


def _cmd_datasets(args: argparse.Namespace) -> None:
    store = Store(args.db)
    try:
        for dataset in store.datasets():
            print(describe(dataset))
    finally:
        store.close()


def _cmd_ensure_demo(args: argparse.Namespace) -> None:
    """Load the embedded demo when the store holds no dataset yet (what `make run` calls)."""
    from northstar.ingest import load_demo

    store = Store(args.db)
    try:
        if store.datasets():
            print(f"Store {store.path} already has data; the demo was not loaded again.")
            return
        dataset = load_demo(store)
        print(f"Loaded the demo into {store.path}: {describe(dataset)}")
    finally:
        store.close()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m northstar", description="Find your North Star Metric.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = commands.add_parser("demo", help="write the demo event log as CSV")
    demo.add_argument("--out", required=True, type=Path)
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(run=_cmd_demo)

    ingest = commands.add_parser("ingest", help="load a CSV or Parquet export as a dataset")
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--db", type=Path, default=default_db_path())
    ingest.add_argument("--dataset", help="dataset name (default: the file name)")
    ingest.add_argument("--map", action="append", metavar="ROLE=COLUMN",
                        help="column (or arithmetic over columns) for a role; repeatable. Roles: "
                             "user_id, timestamp, event, amount, duration, nps_score")
    ingest.set_defaults(run=_cmd_ingest)

    metrics = commands.add_parser("metrics", help="compute candidate metrics as period,metric,value")
    metrics.add_argument("--db", type=Path, default=default_db_path())
    metrics.add_argument("--dataset", help="dataset name (default: the most recently loaded)")
    metrics.add_argument("--grain", choices=GRAINS, default="week")
    metrics.add_argument("--candidates", type=Path, help="YAML file of candidates (default: saved)")
    metrics.add_argument("--format", choices=("csv", "json"), default="csv")
    metrics.set_defaults(run=_cmd_metrics)

    datasets = commands.add_parser("datasets", help="list the datasets in a store")
    datasets.add_argument("--db", type=Path, default=default_db_path())
    datasets.set_defaults(run=_cmd_datasets)

    ensure = commands.add_parser("ensure-demo", help="load the demo if the store is empty")
    ensure.add_argument("--db", type=Path, default=default_db_path())
    ensure.set_defaults(run=_cmd_ensure_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        args.run(args)
    except NorthstarError as err:
        print(f"northstar: {err.one_line()}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `... | head`: the reader has gone; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0
