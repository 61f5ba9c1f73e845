"""A participant without a browser: one real Streamlit session over the app's own websocket.

Speaks the protocol Streamlit's frontend speaks on `/_stcore/stream` with the protobufs shipped in the
installed streamlit package: a `BackMsg.rerun_script` carrying the query string, the page and every
widget's value; `ForwardMsg` deltas back, kept as a flat list of elements (widget id, label, text)
keyed by their delta path; `script_finished` when a run is over. Fragments that refresh by themselves
(`st.fragment(run_every=...)`) are re-run on the interval the server asks for, as a browser tab would.

    async with StSession("http://127.0.0.1:8501", "Workshop", "workshop=K7M2QX&lang=en") as page:
        page.set("Your name", "Sam")
        await page.click("Join")
        assert page.has_text("Your scores")
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element as ElementProto
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

FULL_RUN_DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}
TEXT_FIELDS = ("body", "label", "text")


@dataclass(frozen=True)
class Element:
    """One thing on the page: its kind (`markdown`, `metric`, `button_group`, ...), widget id, texts."""

    path: tuple[int, ...]
    kind: str
    id: str
    label: str
    text: str
    options: tuple[str, ...]
    form_id: str
    proto: Any

    @property
    def is_widget(self) -> bool:
        return bool(self.id)


def _element(path: tuple[int, ...], proto: ElementProto) -> Element | None:
    kind = proto.WhichOneof("type")
    if kind is None or kind == "empty":
        return None
    body = getattr(proto, kind)
    fields = {f.name for f in body.DESCRIPTOR.fields}
    label = body.label if "label" in fields else ""
    text = next((str(getattr(body, f)) for f in ("body", "text") if f in fields), "")
    options: tuple[str, ...] = ()
    if "options" in fields:
        options = tuple(o if isinstance(o, str) else getattr(o, "content", str(o)) for o in body.options)
    return Element(path, kind, body.id if "id" in fields else "", label, text, options,
                   body.form_id if "form_id" in fields else "", body)


class ScriptError(RuntimeError):
    """The page showed an exception (a traceback element) or did not finish in time."""


class StSession:
    """One browser tab's worth of Streamlit session, driven from asyncio."""

    def __init__(self, url: str, page: str = "", query: str = "", *, auto_rerun: bool = True,
                 timeout_s: float = 120.0) -> None:
        self.base = url.rstrip("/")
        self.page, self.query = page, query
        self.auto_rerun, self.timeout_s = auto_rerun, timeout_s
        self.page_hash = ""
        self._elements: dict[tuple[int, ...], Element] = {}
        self._run_paths: set[tuple[int, ...]] = set()
        self._values: dict[str, WidgetState] = {}
        self._full_runs = 0  # full runs finished so far
        self.closed: str | None = None  # why the server ended the session, once it has
        self._finished = asyncio.Condition()
        self._ws: ClientConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._fragments: dict[str, asyncio.Task[None]] = {}
        self.on_delta: Callable[[Element], None] | None = None  # e.g. a benchmark's stopwatch
        self.runs_ms: list[float] = []  # full runs this session asked for, request → script_finished

    async def __aenter__(self) -> StSession:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect and run the page once (the first load of the tab)."""
        ws_url = self.base.replace("http", "ws", 1) + "/_stcore/stream"
        self._ws = await connect(ws_url, subprotocols=["streamlit"], max_size=None,  # type: ignore[list-item]
                                 open_timeout=self.timeout_s)
        self._tasks.append(asyncio.create_task(self._read()))
        await self.rerun()

    async def close(self) -> None:
        for task in [*self._fragments.values(), *self._tasks]:
            task.cancel()
        if self._ws is not None:
            await self._ws.close()

    # -- what is on the page -------------------------------------------------------------------
    @property
    def elements(self) -> list[Element]:
        return [self._elements[p] for p in sorted(self._elements)]

    def texts(self) -> list[str]:
        return [t for e in self.elements for t in (e.label, e.text) if t]

    def has_text(self, part: str) -> bool:
        return any(part in t for t in self.texts())

    def exceptions(self) -> list[str]:
        return [f"{e.proto.type}: {e.proto.message}" for e in self.elements if e.kind == "exception"]

    def find(self, label: str, kind: str | None = None, key: str | None = None) -> Element:
        """The widget labelled `label` (of `kind`; whose id ends with `key`, for a widget with a key)."""
        hits = [e for e in self.elements if e.is_widget and (kind is None or e.kind == kind)
                and (label == "" or e.label == label) and (key is None or e.id.endswith(f"-{key}"))]
        if not hits:
            shown = sorted({f"{e.kind}:{e.label}" for e in self.elements if e.is_widget})
            raise LookupError(f"no widget {label!r} ({kind or 'any kind'}, key={key}) on the page; "
                              f"widgets: {shown}")
        return hits[0]

    def metrics(self) -> dict[str, str]:
        return {e.label: e.text for e in self.elements if e.kind == "metric"}

    # -- acting ----------------------------------------------------------------------------------
    def set(self, label: str, value: Any, kind: str | None = None, key: str | None = None) -> Element:
        """Give a widget a value (sent with the next run), as a person typing or choosing would."""
        widget = self.find(label, kind, key)
        state = WidgetState(id=widget.id)
        if widget.kind in ("text_input", "text_area", "selectbox", "radio"):
            state.string_value = str(value)
        elif widget.kind in ("number_input", ):
            state.double_value = float(value)
        elif widget.kind == "slider":
            state.double_array_value.data.extend(value if isinstance(value, Iterable) else [value])
        elif widget.kind in ("button_group", "multiselect"):
            chosen = [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
            state.string_array_value.data.extend(chosen)
        elif widget.kind == "checkbox":
            state.bool_value = bool(value)
        else:
            raise TypeError(f"cannot set a {widget.kind} ({label!r})")
        self._values[widget.id] = state
        return widget

    async def click(self, label: str, key: str | None = None) -> float:
        """Press a button (a form's submit button sends the form's values with it); ms to finish."""
        widget = self.find(label, "button", key)
        return await self.rerun([WidgetState(id=widget.id, trigger_value=True)])

    async def choose(self, label: str, value: Any, kind: str | None = None, key: str | None = None) -> float:
        """Set a widget that reruns the page on change (radio, segmented control, ...) and wait."""
        self.set(label, value, kind, key)
        return await self.rerun()

    async def rerun(self, triggers: Iterable[WidgetState] = ()) -> float:
        """Run the page with the current widget values; wait for script_finished; ms it took."""
        began = time.monotonic()
        async with self._finished:
            seen = self._full_runs
        await self._send(triggers=list(triggers))
        try:
            async with asyncio.timeout(self.timeout_s):
                async with self._finished:
                    await self._finished.wait_for(lambda: self._full_runs > seen or self.closed)
        except TimeoutError as err:
            raise ScriptError(f"{self.page}: no script_finished within {self.timeout_s:.0f} s") from err
        if self._full_runs == seen and self.closed:
            raise ScriptError(f"{self.page}: {self.closed}")
        took = (time.monotonic() - began) * 1000
        self.runs_ms.append(took)
        if self.exceptions():
            raise ScriptError(f"{self.page}: {self.exceptions()[0]}")
        return took

    async def _send(self, triggers: list[WidgetState] | None = None, fragment: str = "") -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string, state.page_script_hash, state.page_name = self.query, self.page_hash, self.page
        trigger_ids = {t.id for t in triggers or []}
        state.widget_states.widgets.extend(
            [v for k, v in self._values.items() if k not in trigger_ids] + list(triggers or []))
        if fragment:
            state.fragment_id, state.is_auto_rerun = fragment, True
        assert self._ws is not None
        await self._ws.send(msg.SerializeToString())

    # -- what the server says --------------------------------------------------------------------
    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
                await self._handle(msg)
        finally:
            # e.g. the server dropped a client whose send queue overflowed: say so at once
            self.closed = f"the server closed the websocket ({self._ws.close_code} {self._ws.close_reason})"
            async with self._finished:
                self._finished.notify_all()

    async def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.page_hash = msg.new_session.page_script_hash
            self._run_paths = set()
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            path = tuple(msg.metadata.delta_path)
            element = _element(path, msg.delta.new_element)
            self._run_paths.add(path)
            if element is None:
                self._elements.pop(path, None)
            else:
                self._elements[path] = element
                if self.on_delta is not None:
                    self.on_delta(element)
        elif kind == "navigation":  # st.navigation: the page actually shown (new_session has the app's)
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun" and self.auto_rerun:
            fragment, interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
            old = self._fragments.pop(fragment, None)
            if old is not None:
                old.cancel()
            self._fragments[fragment] = asyncio.create_task(self._every(fragment, interval))
        elif kind == "script_finished" and msg.script_finished in FULL_RUN_DONE:
            # What the run did not draw again is gone (the browser clears stale elements too).
            for path in [p for p in self._elements if p not in self._run_paths]:
                del self._elements[path]
            async with self._finished:
                self._full_runs += 1
                self._finished.notify_all()

    async def _every(self, fragment: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._send(fragment=fragment)
