"""radiokit: one bilingual script in, mastered and tagged radio programmes and a station package out."""

from __future__ import annotations

__version__ = "0.1.0"
