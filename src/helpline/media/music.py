"""Music on hold, made here: a slow four-chord progression of soft organ-like voices.

Synthesised with numpy, so it carries no licence but the project's. Each chord swells in and
fades out into the next (overlap-add), and the last chord's tail wraps around onto the start,
so the loop has no seam when the player repeats it. Rendered once into the data folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from helpline.media.audio import SAMPLE_RATE, write_atomically
from helpline.protocols.rtp.g711 import ulaw_encode

# C major, A minor, F major, G major (I-vi-IV-V), voiced around middle C, with a bass note.
_PROGRESSION: tuple[tuple[float, ...], ...] = (
    (130.81, 261.63, 329.63, 392.00),
    (110.00, 261.63, 329.63, 440.00),
    (87.31, 261.63, 349.23, 440.00),
    (98.00, 246.94, 293.66, 392.00),
)
_HARMONICS = ((1.0, 1.0), (2.0, 0.35), (3.0, 0.12))  # (multiple, relative level)
DEFAULT_NAME = "default"


def render_music_on_hold(chord_seconds: float = 4.0, level_dbfs: float = -18.0) -> bytes:
    """The loop as 8 kHz µ-law bytes, ``len(_PROGRESSION) * chord_seconds`` long."""
    chord_len = round(chord_seconds * SAMPLE_RATE)
    total = chord_len * len(_PROGRESSION)
    overlap = round(0.8 * SAMPLE_RATE)
    out = np.zeros(total, dtype=np.float64)
    for index, chord in enumerate(_PROGRESSION):
        n = chord_len + overlap
        t = np.arange(n) / SAMPLE_RATE
        voice = np.zeros(n)
        for k, freq in enumerate(chord):
            detune = 1.0 + 0.0015 * (k - 1.5)  # a slight chorus between voices
            for multiple, level in _HARMONICS:
                voice += level * np.sin(2 * np.pi * freq * detune * multiple * t + k)
        voice *= _envelope(n, attack=round(0.6 * SAMPLE_RATE), release=overlap + round(0.4 * SAMPLE_RATE))
        start = index * chord_len
        positions = (start + np.arange(n)) % total  # the last chord's tail wraps to the start
        np.add.at(out, positions, voice)
    out *= 10 ** (level_dbfs / 20) / np.max(np.abs(out))
    return ulaw_encode(np.round(out * 32767).astype(np.int16))


def _envelope(n: int, *, attack: int, release: int) -> NDArray[np.float64]:
    env = np.ones(n)
    env[:attack] = np.sin(np.linspace(0, np.pi / 2, attack)) ** 2
    env[n - release :] = np.cos(np.linspace(0, np.pi / 2, release)) ** 2
    return env


def music_on_hold_path(data_dir: Path, name: str = DEFAULT_NAME) -> Path:
    return data_dir / "media" / "moh" / f"{name}.ulaw"


def ensure_music_on_hold(data_dir: Path) -> Path:
    """The default music-on-hold file under ``data_dir``, rendered the first time it is needed."""
    path = music_on_hold_path(data_dir)
    if not path.exists():
        write_atomically(path, render_music_on_hold())
    return path
