"""What callers hear, as ready-to-send µ-law: flow prompts (files or text to speech), music on
hold, the queue's position and wait announcements, and a beep.

Numbers are spoken by joining words rendered once each ("twenty" + "three"), so announcing
position 347 to a thousand callers costs a handful of cached renders, not one per position.
Without a text-to-speech program, text prompts become a short silence and are logged once, so
a call never fails for want of a voice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from helpline.core.ivr import PromptPart
from helpline.edge.media import PlayItem
from helpline.media.audio import AudioFormatError, load_prompt
from helpline.media.music import ensure_music_on_hold
from helpline.media.tts import TextToSpeech, TtsError, TtsUnavailable
from helpline.protocols.rtp.g711 import ULAW_SILENCE, ulaw_encode

log = logging.getLogger(__name__)

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> list[str]:
    """English words for 0..999999, as separate pieces to render and join."""
    if n < 0:
        raise ValueError("no negative numbers in prompts")
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        tens, ones = divmod(n, 10)
        return [_TENS[tens]] + ([_ONES[ones]] if ones else [])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return [_ONES[hundreds], "hundred"] + (["and", *number_words(rest)] if rest else [])
    thousands, rest = divmod(n, 1000)
    return [*number_words(thousands), "thousand"] + (number_words(rest) if rest else [])


class PromptLibrary:
    def __init__(
        self, data_dir: Path, *, prompt_dir: Path | None = None, tts: TextToSpeech | None = None
    ) -> None:
        self.data_dir = data_dir
        self.prompt_dir = prompt_dir or data_dir / "prompts"
        self._tts = tts
        self._tts_missing = False
        self._moh: bytes | None = None
        self._cache: dict[str, bytes] = {}

    def _engine(self) -> TextToSpeech | None:
        if self._tts is None and not self._tts_missing:
            try:
                self._tts = TextToSpeech(self.data_dir / "media")
            except TtsUnavailable as exc:
                self._tts_missing = True
                log.warning("prompts will be silent: %s", exc)
        return self._tts

    async def speak(self, text: str) -> bytes:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        engine = self._engine()
        audio = bytes([ULAW_SILENCE]) * 4000
        if engine is not None:
            try:
                audio = await engine.render(text)
            except TtsError as exc:
                log.warning("prompt %r could not be spoken: %s", text[:40], exc)
        if len(self._cache) < 5000:
            self._cache[text] = audio
        return audio

    def file(self, name: str) -> bytes:
        path = Path(name)
        if not path.is_absolute():
            path = self.prompt_dir / path
        try:
            return load_prompt(path)
        except AudioFormatError as exc:
            log.warning("%s", exc)
            return bytes([ULAW_SILENCE]) * 4000

    async def render(self, parts: Sequence[PromptPart]) -> list[PlayItem]:
        items = []
        for part in parts:
            if part.file:
                items.append(PlayItem(self.file(part.file), name=part.file))
            elif part.text:
                items.append(PlayItem(await self.speak(part.text), name=part.text[:40]))
        return items

    async def say(self, *texts: str) -> list[PlayItem]:
        return [PlayItem(await self.speak(t), name=t[:40]) for t in texts]

    async def number(self, n: int) -> bytes:
        return b"".join([await self.speak(w) for w in number_words(n)])

    def music_on_hold(self) -> PlayItem:
        if self._moh is None:
            self._moh = ensure_music_on_hold(self.data_dir).read_bytes()
        return PlayItem(self._moh, loop=True, name="music on hold")

    async def queue_announcement(
        self, position: int | None, wait_s: float | None, *, say_position: bool = True, say_wait: bool = True
    ) -> list[PlayItem]:
        audio = b""
        if say_position and position is not None:
            if position <= 1:
                audio += await self.speak("You are next in line.")
            else:
                audio += (
                    await self.speak("You are number")
                    + await self.number(position)
                    + await self.speak("in line.")
                )
        if say_wait and wait_s is not None:
            minutes = max(1, round(wait_s / 60))
            audio += await self.speak("Your expected wait is about") + await self.number(minutes)
            audio += await self.speak("minute." if minutes == 1 else "minutes.")
        return [PlayItem(audio, name="queue announcement")] if audio else []

    def beep(self) -> PlayItem:
        t = np.arange(2400) / 8000
        return PlayItem(ulaw_encode((8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)), name="beep")
