"""Conversions into the one form prompts are kept in: 8 kHz mono µ-law bytes."""

from __future__ import annotations

import os
import wave
from math import gcd
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.signal import resample_poly

from helpline.protocols.rtp.g711 import ALAW_TO_ULAW, ulaw_encode

SAMPLE_RATE = 8000
RAW_ULAW_SUFFIXES = {".ulaw", ".ul", ".pcmu", ".mulaw"}
RAW_ALAW_SUFFIXES = {".alaw", ".al", ".pcma"}


class AudioFormatError(ValueError):
    """A prompt file that cannot be used, with the file and the reason."""


def pcm_to_ulaw(samples: NDArray[np.floating] | NDArray[np.integer], rate: int) -> bytes:
    """µ-law at 8 kHz from mono samples: floats in -1..1 or 16-bit integers, at any rate."""
    a = np.asarray(samples)
    x = a.astype(np.float64) if a.dtype.kind == "f" else a.astype(np.float64) / 32768.0
    if rate != SAMPLE_RATE:
        g = gcd(SAMPLE_RATE, rate)
        x = resample_poly(x, SAMPLE_RATE // g, rate // g)  # band-limits to 4 kHz on the way
    return ulaw_encode(np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16))


def wav_to_ulaw(path: Path) -> bytes:
    """µ-law for a PCM WAV file (8 or 16 bit, mono or stereo mixed down, any sample rate)."""
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioFormatError(f"{path}: not a PCM WAV file ({exc}); convert it to 16-bit PCM WAV") from None
    if width == 2:
        pcm = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 1:
        pcm = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    else:
        raise AudioFormatError(f"{path}: {8 * width}-bit samples; use 8- or 16-bit PCM")
    if channels > 1:
        pcm = pcm[: len(pcm) - len(pcm) % channels].reshape(-1, channels).mean(axis=1)
    return pcm_to_ulaw(pcm, rate)


def load_prompt(path: Path) -> bytes:
    """A prompt file as µ-law: raw µ-law (.ulaw, .pcmu), raw A-law (.alaw, .pcma) or WAV."""
    if not path.is_file():
        raise AudioFormatError(f"{path}: prompt file not found")
    suffix = path.suffix.lower()
    if suffix in RAW_ULAW_SUFFIXES:
        return path.read_bytes()
    if suffix in RAW_ALAW_SUFFIXES:
        return path.read_bytes().translate(ALAW_TO_ULAW)
    if suffix == ".wav":
        return wav_to_ulaw(path)
    raise AudioFormatError(f"{path}: unknown prompt format {suffix!r}; use .wav, .ulaw or .alaw")


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` so that readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
