"""The command line as a producer runs it: `python -m radiokit ...` in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def radiokit(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run radiokit with `args` in `cwd`, `env` added to this environment; its status and captured output."""
    return subprocess.run([sys.executable, "-m", "radiokit", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env={**os.environ, **(env or {})})
