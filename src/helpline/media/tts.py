"""Text to speech for prompts: espeak-ng or flite, run as programs, cached as 8 kHz µ-law.

The cache key is a hash of (program, voice, text), so a prompt is rendered once and then read
from disk; changing the wording or the voice makes a new file. Rendering runs the program as a
subprocess with the text as data (stdin or an argument after the options), never through a
shell.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
from pathlib import Path

from helpline.media.audio import wav_to_ulaw, write_atomically

ENGINES = ("espeak-ng", "flite")


class TtsUnavailable(RuntimeError):
    """Neither text-to-speech program is installed."""


class TtsError(RuntimeError):
    """The text-to-speech program failed on a text or voice."""


def find_engine(preferred: str | None = None) -> tuple[str, str]:
    """``(name, executable)`` of the program to use: ``preferred`` or the first one installed."""
    names = (preferred,) if preferred else ENGINES
    for name in names:
        if name not in ENGINES:
            raise ValueError(f"unknown text-to-speech program {name!r}; choose one of {', '.join(ENGINES)}")
        executable = shutil.which(name)
        if executable:
            return name, executable
    wanted = preferred or " or ".join(ENGINES)
    raise TtsUnavailable(
        f"no text-to-speech program found ({wanted}): install it, e.g. `apt-get install espeak-ng flite`"
    )


class TextToSpeech:
    def __init__(self, cache_dir: Path, *, engine: str | None = None, timeout: float = 30.0) -> None:
        self.engine, self._executable = find_engine(engine)
        self.cache_dir = cache_dir
        self._timeout = timeout
        self._locks: dict[str, asyncio.Lock] = {}
        self._voices: list[str] | None = None

    def cache_path(self, text: str, voice: str | None = None) -> Path:
        key = hashlib.sha256(f"{self.engine}\0{voice or ''}\0{text}".encode()).hexdigest()
        return self.cache_dir / "tts" / key[:2] / f"{key}.ulaw"

    async def render(self, text: str, voice: str | None = None) -> bytes:
        """The spoken ``text`` as 8 kHz µ-law, from the cache when it has been rendered before."""
        if not text.strip():
            raise TtsError("nothing to say: the prompt text is empty")
        path = self.cache_path(text, voice)
        lock = self._locks.setdefault(path.name, asyncio.Lock())
        async with lock:
            if path.exists():
                return path.read_bytes()
            audio = await self._synthesise(text, voice)
            write_atomically(path, audio)
        return audio

    async def _flite_voices(self) -> list[str]:
        if self._voices is None:
            proc = await asyncio.create_subprocess_exec(
                self._executable, "-lv", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
            )
            out, _ = await proc.communicate()
            self._voices = out.decode().split(":", 1)[-1].split()
        return self._voices

    async def _synthesise(self, text: str, voice: str | None) -> bytes:
        with tempfile.TemporaryDirectory(prefix="helpline-tts-") as tmp:
            wav = Path(tmp) / "out.wav"
            stdin: bytes | None = None
            if self.engine == "espeak-ng":
                args = [self._executable, "-w", str(wav), "--stdin"]
                if voice:
                    args[1:1] = ["-v", voice]
                stdin = text.encode()
            else:
                args = [self._executable, "-o", str(wav), "-t", text]
                if voice:
                    # flite falls back to its default voice for an unknown name; refuse instead.
                    if voice not in await self._flite_voices():
                        raise TtsError(
                            f"flite has no voice {voice!r}; it has {', '.join(await self._flite_voices())}"
                        )
                    args[1:1] = ["-voice", voice]
            proc = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                _, err = await asyncio.wait_for(proc.communicate(stdin), self._timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                raise TtsError(f"{self.engine} took longer than {self._timeout} s") from None
            if proc.returncode != 0 or not wav.exists() or wav.stat().st_size <= 44:
                detail = err.decode(errors="replace").strip() or f"exit status {proc.returncode}"
                raise TtsError(f"{self.engine} could not render {text[:40]!r} (voice {voice!r}): {detail}")
            return wav_to_ulaw(wav)
