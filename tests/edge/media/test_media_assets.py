"""Music on hold, prompt files and text to speech (with the real espeak-ng and flite)."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from helpline.media.audio import AudioFormatError, load_prompt
from helpline.media.music import ensure_music_on_hold, render_music_on_hold
from helpline.media.tts import TextToSpeech, TtsError, TtsUnavailable, find_engine
from helpline.protocols.rtp.g711 import ulaw_decode


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(float)))
    return float(np.fft.rfftfreq(len(samples), 1 / 8000)[int(np.argmax(spectrum))])


def test_music_on_hold_is_a_seamless_quiet_loop_of_chords() -> None:
    music = render_music_on_hold(chord_seconds=2.0)
    pcm = ulaw_decode(music).astype(float)
    assert len(music) == 4 * 2 * 8000
    peak_dbfs = 20 * np.log10(np.max(np.abs(pcm)) / 32768)
    assert -19.5 < peak_dbfs < -16.5
    # No silent stretch anywhere, including across the loop point.
    looped = np.concatenate([pcm, pcm])
    window = 400
    rms = np.sqrt(np.convolve(looped**2, np.ones(window) / window, mode="valid"))
    assert rms.min() > 0.1 * rms.max()
    # Across the seam the waveform moves no more than it does within the loop.
    assert abs(pcm[0] - pcm[-1]) <= np.max(np.abs(np.diff(pcm)))
    # Musical range: the strongest component is a chord tone, not noise or aliasing.
    assert 80 < dominant_hz(pcm) < 1400


def test_music_on_hold_is_rendered_once_into_the_data_folder(tmp_path: Path) -> None:
    path = ensure_music_on_hold(tmp_path)
    assert path == tmp_path / "media" / "moh" / "default.ulaw"
    first = path.stat().st_mtime_ns
    assert ensure_music_on_hold(tmp_path).stat().st_mtime_ns == first
    assert len(path.read_bytes()) == 16 * 8000


def test_a_wav_prompt_at_another_rate_becomes_8_khz_ulaw(tmp_path: Path) -> None:
    t = np.arange(16000) / 16000
    tone = (12000 * np.sin(2 * np.pi * 1000 * t)).astype("<i2")
    path = tmp_path / "welcome.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.repeat(tone, 2).tobytes())
    ulaw = load_prompt(path)
    assert len(ulaw) == 8000
    assert dominant_hz(ulaw_decode(ulaw)) == pytest.approx(1000, abs=2)
    raw = tmp_path / "raw.ulaw"
    raw.write_bytes(b"\x01\x02")
    assert load_prompt(raw) == b"\x01\x02"
    with pytest.raises(AudioFormatError, match=r"bad\.mp3: unknown prompt format"):
        (tmp_path / "bad.mp3").write_bytes(b"x")
        load_prompt(tmp_path / "bad.mp3")
    with pytest.raises(AudioFormatError, match="not a PCM WAV"):
        (tmp_path / "broken.wav").write_bytes(b"RIFFjunk")
        load_prompt(tmp_path / "broken.wav")


@pytest.mark.parametrize("engine", ["espeak-ng", "flite"])
async def test_tts_renders_speech_and_then_serves_it_from_the_cache(engine: str, tmp_path: Path) -> None:
    if shutil.which(engine) is None:
        pytest.skip(f"{engine} is not installed (apt-get install {engine})")
    tts = TextToSpeech(tmp_path, engine=engine)
    audio = await tts.render("Thank you for calling. Please hold.")
    seconds = len(audio) / 8000
    assert 1.0 < seconds < 6.0
    pcm = ulaw_decode(audio).astype(float)
    assert np.sqrt(np.mean(pcm**2)) > 300  # speech, not silence
    assert tts.cache_path("Thank you for calling. Please hold.").read_bytes() == audio
    tts._executable = "/nonexistent/tts"  # a second render must not run the program
    assert await tts.render("Thank you for calling. Please hold.") == audio
    assert tts.cache_path("Other words") != tts.cache_path("Thank you for calling. Please hold.")
    assert tts.cache_path("x", voice="a") != tts.cache_path("x", voice="b")


@pytest.mark.parametrize("engine", ["espeak-ng", "flite"])
async def test_tts_refuses_an_unknown_voice_and_empty_text(engine: str, tmp_path: Path) -> None:
    if shutil.which(engine) is None:
        pytest.skip(f"{engine} is not installed (apt-get install {engine})")
    tts = TextToSpeech(tmp_path, engine=engine)
    with pytest.raises(TtsError, match="nosuchvoice"):
        await tts.render("hello", voice="nosuchvoice")
    with pytest.raises(TtsError, match="empty"):
        await tts.render("   ")


def test_missing_programs_give_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TtsUnavailable, match="apt-get install espeak-ng flite"):
        find_engine()
    with pytest.raises(ValueError, match="unknown text-to-speech program"):
        find_engine("say")
