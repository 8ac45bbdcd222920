"""What a leg plays: prompts and music on hold as 20 ms frames of pre-encoded µ-law.

A ``Playback`` is one request: a list of items played in order, where a looping item (music)
plays until something replaces or stops it. The player keeps a stack: ``play`` replaces
everything; ``announce`` interrupts what is playing and, when the announcement ends, the
interrupted playback carries on from where it stopped (music resumes, the prompt before it does
not start again). Each playback's ``done`` future says whether it ran to its end (True) or was
replaced or stopped (False).

Every streaming leg asks for a frame fifty times a second, so the common case (the next 160
bytes lie inside the current item) is a bounds check and one slice; item boundaries, loops and
padding take the longer way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from helpline.protocols.rtp.g711 import ULAW_SILENCE

FRAME_BYTES = 160  # 20 ms at 8 kHz, one byte per sample
_SILENCE = bytes([ULAW_SILENCE]) * FRAME_BYTES


@dataclass(frozen=True, slots=True)
class PlayItem:
    audio: bytes  # 8 kHz µ-law
    loop: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        if self.loop and not self.audio:
            raise ValueError(f"looping item {self.name!r} has no audio")


class Playback:
    __slots__ = ("_audio", "_index", "_offset", "done", "items")

    def __init__(self, items: Sequence[PlayItem], done: asyncio.Future[bool]) -> None:
        self.items = tuple(items)
        self.done = done
        self._index = 0
        self._offset = 0
        self._audio = self.items[0].audio if self.items else b""  # the current item's

    @property
    def current(self) -> PlayItem | None:
        return self.items[self._index] if self._index < len(self.items) else None

    def next_frame(self) -> bytes | None:
        """The next 160 bytes, or None when every item has been played."""
        start = self._offset
        end = start + FRAME_BYTES
        audio = self._audio
        if end < len(audio):
            self._offset = end
            return audio[start:end]
        return self._next_frame_at_boundary()

    def _next_frame_at_boundary(self) -> bytes | None:
        while self._index < len(self.items):
            item = self.items[self._index]
            audio, start = item.audio, self._offset
            end = start + FRAME_BYTES
            if end <= len(audio):
                self._offset = end
                if end == len(audio):
                    self._advance(item)
                return audio[start:end]
            if start >= len(audio):  # an empty item
                self._advance(item)
                continue
            frame = audio[start:]
            if item.loop:
                while len(frame) < FRAME_BYTES:
                    frame += audio[: FRAME_BYTES - len(frame)]
                self._offset = (start + FRAME_BYTES) % len(audio)
                return frame
            self._advance(item)
            return frame + _SILENCE[len(frame) :]
        return None

    def _advance(self, item: PlayItem) -> None:
        self._offset = 0
        if not item.loop:
            self._index += 1
            self._audio = self.items[self._index].audio if self._index < len(self.items) else b""

    def finish(self, completed: bool) -> None:
        if not self.done.done():
            self.done.set_result(completed)


class Player:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._stack: list[Playback] = []

    @property
    def active(self) -> bool:
        return bool(self._stack)

    @property
    def current(self) -> Playback | None:
        return self._stack[-1] if self._stack else None

    def play(self, items: Sequence[PlayItem]) -> Playback:
        self.stop()
        return self._push(items)

    def announce(self, items: Sequence[PlayItem]) -> Playback:
        return self._push(items)

    def stop(self) -> None:
        while self._stack:
            self._stack.pop().finish(False)

    def next_frame(self) -> bytes | None:
        stack = self._stack
        if stack:  # Playback.next_frame's common case, without the call
            top = stack[-1]
            start = top._offset
            end = start + FRAME_BYTES
            audio = top._audio
            if end < len(audio):
                top._offset = end
                return audio[start:end]
        while stack:
            frame = stack[-1].next_frame()
            if frame is not None:
                return frame
            stack.pop().finish(True)
        return None

    def _push(self, items: Sequence[PlayItem]) -> Playback:
        playback = Playback(items, self._loop.create_future())
        self._stack.append(playback)
        return playback
