"""The command line (a contract, see design.md): demo, ingest, attach, datasets, metrics, compare, report."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from northstar.errors import NorthstarError
from northstar.i18n import LANGUAGES, default_language, use_language
from northstar.store import Dataset, Store, default_db_path
from northstar.text import csv_safe
from northstar.vocab import DEFAULT_GRAIN, GRAINS

if TYPE_CHECKING:
    from northstar.analysis import Comparison
    from northstar.analysis.turns import TurnBacktest


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line message, like every other bad input."""

    def error(self, message: str) -> NoReturn:
        raise NorthstarError("Bad arguments", f"{message}. See `python -m northstar --help`.")


def describe(dataset: Dataset) -> str:
    span = (f"{dataset.first_ts:%Y-%m-%d} → {dataset.last_ts:%Y-%m-%d}"
            if dataset.first_ts and dataset.last_ts else "no dates")
    return (f"{dataset.name}: {dataset.rows:,} rows, {dataset.users:,} users, {span} "
            f"(from {dataset.source})")


def _cmd_demo(args: argparse.Namespace) -> None:
    from northstar.ingest import write_demo_csv

    rows = write_demo_csv(args.out, seed=args.seed)
    print(f"Wrote {rows:,} demo events to {args.out}")


def _cmd_ingest(args: argparse.Namespace) -> None:
    from northstar.ingest import ReadOptions, ingest_file, parse_overrides

    overrides = parse_overrides(args.map or [])
    options = ReadOptions.parse(delimiter=args.delimiter, encoding=args.encoding,
                                header=args.header, skip=args.skip_rows,
                                date_format=args.date_format, sheet=args.sheet)
    store = Store(args.db)
    try:
        dataset = ingest_file(store, args.file, dataset=args.dataset, overrides=overrides,
                              options=options, append=args.append)
    finally:
        store.close()
    if args.append:
        added = dataset.mapping["appends"][-1]
        print(f"Added {added['new']:,} new events to {dataset.name} ({added['already_there']:,} "
              f"already there, matched on {added['matched_on']})")
    print(f"Loaded {describe(dataset)}")
    for note in dataset.notes:
        print(f"  - {note}")


def _cmd_attach(args: argparse.Namespace) -> None:
    from northstar.ingest import attach_parquet, parse_overrides

    overrides = parse_overrides(args.map or [])
    store = Store(args.db)
    try:
        dataset = attach_parquet(store, args.path, dataset=args.dataset, overrides=overrides,
                                 engine=args.dataset_engine)
    finally:
        store.close()
    print(f"Attached {describe(dataset)}")
    for note in dataset.notes:
        print(f"  - {note}")


def _cmd_health(args: argparse.Namespace) -> None:
    from northstar.ingest import health

    store = Store(args.db)
    try:
        dataset = store.dataset(args.dataset)
        findings = health(store, dataset)
    finally:
        store.close()
    print(f"Health of {describe(dataset)}")
    for finding in findings:
        print(f"  {'!' if finding.warn else '-'} {finding.headline}. {finding.effect}")


def _specs(store: Store, dataset: Dataset, candidates: Path | None) -> list:
    from northstar.metrics import load_yaml, saved_candidates

    if candidates is None:
        return saved_candidates(store, dataset)
    try:
        text = candidates.read_text(encoding="utf-8")
    except OSError as err:
        raise NorthstarError("Cannot read candidates file", f"{candidates}: {err.strerror}.") from None
    specs = load_yaml(text)
    if not specs:
        raise NorthstarError(f"No candidates in {candidates}",
                             "List at least one under `candidates:`, e.g. "
                             "`- {name: Active users, kind: active_users}`.")
    return specs


def _cmd_metrics(args: argparse.Namespace) -> None:
    from northstar.metrics import compute

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
        print(csv_safe(out).to_csv(index=False, float_format="%.10g"), end="")


COMPARE_COLUMNS = ["metric", "kind", "best_lag", "corr_changes", "corr_levels", "p_value", "granger_p",
                   "q_value", "conditional_p", "echo_of", "holdout_skill", "holds_out", "spearman_changes",
                   "volatility", "n_periods", "source", "role", "saved", "verdict"]
# After the columns above (the contract keeps their order): a behaviour's user-level lift and its 95%
# interval, empty for candidates it does not apply to.
LIFT_COLUMNS = ["user_lift", "user_lift_low", "user_lift_high"]


def _keep(store: Store, dataset: Dataset, comparison: Comparison, name: str) -> str:
    """Save the suggestion called `name` (any case) among the dataset's candidates; its exact name."""
    from northstar.metrics import save_candidate

    found = next((m for m in comparison.unsaved if m.lower() == name.strip().lower()), None)
    if found is None:
        saved = name.strip().lower() in {m.lower() for m in comparison.ranking["metric"]}
        title = f"{name!r} is already a saved candidate" if saved else f"No suggestion named {name!r}"
        raise NorthstarError(title, f"Suggestions to keep: {', '.join(comparison.unsaved) or 'none'}.")
    save_candidate(store, dataset, comparison.spec(found))
    return found


def _median_lead(test: TurnBacktest) -> float:
    """The median of the periods by which a candidate turned before the outcome's turns; NaN: never."""
    import statistics

    leads = [m.lead for m in test.matches if m.lead is not None]
    return float(statistics.median(leads)) if leads else float("nan")


def _cmd_compare(args: argparse.Namespace) -> None:
    from northstar.analysis import compare

    store = Store(args.db)
    try:
        dataset = store.dataset(args.dataset)
        given = _specs(store, dataset, args.candidates) if args.candidates else None
        if args.save and given is not None:
            raise NorthstarError("--save keeps a suggestion, and --candidates turns suggestions off",
                                 "Run without --candidates to see and keep suggestions.")
        comparison = compare(store, dataset, args.outcome, grain=args.grain, max_lag=args.max_lag,
                             candidates=given, include_suggestions=given is None)
        kept = _keep(store, dataset, comparison, args.save) if args.save else None
    finally:
        store.close()
    out = comparison.ranking[COMPARE_COLUMNS].copy()
    from northstar.analysis.user_lift import lift_columns

    lifts = [lift_columns(comparison.lifts, metric) for metric in out["metric"]]
    for i, column in enumerate(LIFT_COLUMNS):
        out[column] = [float("nan") if row[i] is None else row[i] for row in lifts]
    if kept:
        out.loc[out["metric"] == kept, "saved"] = True
    if args.format == "json":
        # JSON only: the backtest of turns per candidate (the CSV keeps its columns).
        from northstar.analysis.compare import turns_of

        tests = [turns_of(comparison, metric) for metric in out["metric"]]
        out["turns_before"] = [sum(t.before(k) for k in ("dip", "peak")) for t in tests]
        out["turns_total"] = [len(t.matches) for t in tests]
        out["turns_lead"] = [_median_lead(t) for t in tests]
        print(out.to_json(orient="records", double_precision=10))
    else:
        print(csv_safe(out).to_csv(index=False, float_format="%.10g"), end="")
    if comparison.lag_choice is not None and comparison.lag_choice.fitted:
        reason = comparison.lag_choice.reason()
        print(f"{reason[:1].upper()}{reason[1:]}.", file=sys.stderr)
    if kept:
        print(f"Kept {kept!r} among the saved candidates of {dataset.name}.", file=sys.stderr)


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


REPORT_FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


def _decided_code(store: Store, code: str | None) -> str:
    """The workshop to report on: the one named, else the most recently locked."""
    from northstar.workshop import find_workshop, workshops

    if code:
        return find_workshop(store, code).code
    # A workshop has a decision exactly when it is locked.
    locked = [(w.decision.locked_at, w.code) for w in workshops(store) if w.decision is not None]
    if not locked:
        raise NorthstarError("No locked workshop",
                             f"{store.path} has none; lock a decision on the Workshop page first.")
    return max(locked, key=lambda pair: pair[0])[1]


def _cmd_report(args: argparse.Namespace) -> None:
    from northstar.metrics import compute
    from northstar.report import decision_html, decision_markdown, frozen_record

    kind = REPORT_FORMATS.get(args.out.suffix.lower())
    if kind is None:
        raise NorthstarError(f"Unknown report format {args.out.suffix or args.out.name!r}",
                             "Name the output file .html or .md.")

    store = Store(args.db)
    with use_language(args.lang or default_language()):
        try:
            record = frozen_record(store, _decided_code(store, args.workshop), compute)  # as locked
        finally:
            store.close()
        # The record's headings in --lang, else in the workshop's own language.
        text = decision_html(record, lang=args.lang) if kind == "html" else \
            decision_markdown(record, lang=args.lang)
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as err:
        raise NorthstarError("Cannot write the report", f"{args.out}: {err.strerror}.") from None
    print(f"Wrote the decision record of {record.workshop!r} (NSM: {record.nsm}) to {args.out}")


def _shared(*, dataset: bool = False, series: bool = False) -> _Parser:
    """Arguments several commands take, as an argparse parent: the store, the dataset, the
    series (grain, candidates file, output format). A _Parser, as the subcommands' parents must be."""
    shared = _Parser(add_help=False)
    shared.add_argument("--db", type=Path, default=default_db_path())
    if dataset:
        shared.add_argument("--dataset", help="dataset name (default: the most recently loaded)")
    if series:
        shared.add_argument("--grain", choices=GRAINS, default=DEFAULT_GRAIN.value)
        shared.add_argument("--format", choices=("csv", "json"), default="csv")
        shared.add_argument("--engine", choices=("duckdb", "spark"),
                            help="where metrics run (default: the dataset's setting, else duckdb); "
                                 "spark reads an attached lake")
        shared.add_argument("--spark-master", metavar="URL",
                            help="Spark master, e.g. spark://host:7077 (default: local[2])")
    return shared


def _choose_engine(args: argparse.Namespace) -> None:
    """--engine / --spark-master hold for every metric this command computes."""
    from northstar.metrics.engines import ENGINE_ENV, SPARK_MASTER_ENV

    if getattr(args, "engine", None):
        os.environ[ENGINE_ENV] = args.engine
    if getattr(args, "spark_master", None):
        os.environ[SPARK_MASTER_ENV] = args.spark_master


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m northstar", description="Find your North Star Metric.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    store, series = _shared(), _shared(dataset=True, series=True)

    demo = commands.add_parser("demo", help="write the demo event log as CSV")
    demo.add_argument("--out", required=True, type=Path)
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(run=_cmd_demo)

    ingest = commands.add_parser("ingest", parents=[store],
                                 help="load an export (CSV, text, JSON lines, Parquet; .gz, .zip, "
                                      "a folder or a glob) as a dataset")
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--dataset", help="dataset name (default: the file name)")
    ingest.add_argument("--map", action="append", metavar="ROLE=COLUMN",
                        help="column (or arithmetic over columns) for a role; repeatable. Roles: "
                             "user_id, timestamp, event, amount, duration, nps_score")
    ingest.add_argument("--append", action="store_true",
                        help="add the file's events to the dataset instead of replacing it; events "
                             "both hold are kept once (insert id, else the whole row)")
    ingest.add_argument("--delimiter", help="field separator: , ; | tab or whitespace (runs of "
                                            "spaces); default: detected")
    ingest.add_argument("--encoding", help="utf-8, utf-16 or latin-1 (default: detected)")
    ingest.add_argument("--header", action=argparse.BooleanOptionalAction, default=True,
                        help="the first row names the columns (--no-header: column1, column2...)")
    ingest.add_argument("--skip-rows", type=int, default=0, metavar="N",
                        help="lines to skip before the header")
    ingest.add_argument("--date-format", metavar="FORMAT",
                        help="how the timestamp is written, e.g. %%Y%%m%%d or %%d/%%m/%%Y %%H:%%M")
    ingest.add_argument("--sheet", metavar="NAME",
                        help="the sheet of an Excel .xlsx workbook to read (default: the first)")
    ingest.set_defaults(run=_cmd_ingest)

    attach = commands.add_parser("attach", parents=[store],
                                 help="register Parquet files in place (a folder, glob or hive tree); "
                                      "attach again to pick up new files")
    attach.add_argument("path", help="folder, glob (lake/*.parquet) or file; object-store URLs via httpfs")
    attach.add_argument("--dataset", required=True, help="dataset name")
    attach.add_argument("--map", action="append", metavar="ROLE=COLUMN",
                        help="column (or arithmetic over columns) for a role; repeatable")
    attach.add_argument("--engine", dest="dataset_engine", choices=("duckdb", "spark"),
                        help="where this dataset's metrics run by default (default: duckdb)")
    attach.set_defaults(run=_cmd_attach)

    metrics = commands.add_parser("metrics", parents=[series],
                                  help="compute candidate metrics as period,metric,value")
    metrics.add_argument("--candidates", type=Path, help="YAML file of candidates (default: saved)")
    metrics.set_defaults(run=_cmd_metrics)

    compare = commands.add_parser("compare", parents=[series],
                                  help="rank candidates as leading indicators of an outcome")
    compare.add_argument("--outcome", required=True, help="name of the outcome metric, e.g. Revenue")
    compare.add_argument("--max-lag", type=int, default=None,
                         help="longest lead tried, in periods (default: the grain's, 28 days, 12 weeks or 6 "
                              "months, or a quarter of the history when that is less)")
    compare.add_argument("--candidates", type=Path,
                         help="YAML file of candidates, may define the outcome (default: saved + suggested)")
    compare.add_argument("--save", metavar="NAME", help="keep this suggested candidate in the saved ones")
    compare.set_defaults(run=_cmd_compare)

    health = commands.add_parser("health", parents=[_shared(dataset=True)],
                                 help="check a dataset: duplicates, anonymous events, one-event "
                                      "users, outages, events after the export, bots")
    health.set_defaults(run=_cmd_health)

    datasets = commands.add_parser("datasets", parents=[store], help="list the datasets in a store")
    datasets.set_defaults(run=_cmd_datasets)

    ensure = commands.add_parser("ensure-demo", parents=[store],
                                 help="load the demo if the store is empty")
    ensure.set_defaults(run=_cmd_ensure_demo)

    report = commands.add_parser("report", parents=[store],
                                 help="write a locked workshop's decision record (.html or .md)")
    report.add_argument("--out", required=True, type=Path, help="decision.html or decision.md")
    report.add_argument("--workshop", metavar="CODE", help="join code (default: the most recently locked)")
    report.add_argument("--lang", choices=sorted(LANGUAGES),
                        help="language of the record (default: the workshop's language)")
    report.set_defaults(run=_cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="northstar: %(message)s")
    try:
        args = build_parser().parse_args(argv)
        _choose_engine(args)
        args.run(args)
    except NorthstarError as err:
        print(f"northstar: {err.one_line()}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `... | head`: the reader has gone; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0
