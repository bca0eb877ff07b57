"""A real playout engine for tests: Liquidsoap plays a file once, as a station would, and writes what it played.

What a run proves: Liquidsoap (the Debian package, 2.1) decodes the file and honours its cue points, the
`liq_cue_in` / `liq_cue_out` metadata (seconds) that its FFmpeg metadata reader takes from ID3 TXXX frames
(the description, in any case, becomes the key), through `cue_cut`. The WAV it leaves holds exactly the
audio that went on air. It runs with no clock sync, so a file plays in a few seconds, not in real time.

Measured on Liquidsoap 2.1.3, and the reason for the tolerances of the tests that use it: the FFmpeg decoder
seeks to the MPEG frame that holds the cue-in point, so playback starts up to one MPEG frame (1152 samples)
early and keeps the cued length; and the stream's last, partial engine frame is lost when it shuts down, so
the script uses 10 ms frames (441 samples at 44.1 kHz; the default is 40 ms).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# Paths come in as arguments (argv), never spliced into the script, where "#{...}" would be interpolated.
SCRIPT = """\
settings.init.allow_root.set(true)
settings.log.file.set(false)
settings.log.stdout.set(true)
settings.log.level.set(3)
settings.frame.video.framerate.set(100)
settings.frame.duration.set(0.01)
s = cue_cut(once(single(argv(1))))
clock.assign_new(sync="none", [s])
output.file(%wav, argv(2), fallible=true, on_stop=shutdown, s)
"""


def liquidsoap_exe() -> str | None:
    return shutil.which("liquidsoap")


def play_with_liquidsoap(source: Path, out_wav: Path, timeout_s: float = 120) -> None:
    """Play `source` once through Liquidsoap, cue points applied, into the 16-bit WAV `out_wav`."""
    exe = liquidsoap_exe()
    if exe is None:
        raise AssertionError("liquidsoap is not on PATH")
    if not source.is_file():  # Liquidsoap would retry a missing file for ever
        raise AssertionError(f"no such file to play: {source}")
    out_wav.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="radiokit-liquidsoap-") as scratch:
        script = Path(scratch) / "play.liq"
        script.write_text(SCRIPT, encoding="utf-8")
        # GStreamer, loaded by Liquidsoap, keeps a registry under the cache dir: keep it out of $HOME too.
        env = {**os.environ, "HOME": scratch, "XDG_CACHE_HOME": str(Path(scratch) / "cache"), "TMPDIR": scratch}
        try:
            run = subprocess.run([exe, str(script), "--", str(source.resolve()), str(out_wav.resolve())],
                                 cwd=scratch, env=env, capture_output=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as err:
            raise AssertionError(f"liquidsoap took over {timeout_s} s:\n{_tail(err.stdout, err.stderr)}") from err
    if run.returncode != 0 or not out_wav.is_file():
        raise AssertionError(f"liquidsoap exited {run.returncode} (WAV written: {out_wav.is_file()}):\n"
                             f"{_tail(run.stdout, run.stderr)}")


def _tail(*outputs: bytes | None, lines: int = 30) -> str:
    text = "\n".join((out or b"").decode("utf-8", "replace") for out in outputs)
    return "\n".join(text.strip().splitlines()[-lines:])
