"""One error hierarchy: every error radiokit raises on purpose carries its exit status."""

from __future__ import annotations


class RadiokitError(Exception):
    """Root of radiokit's errors; the CLI prints the message and exits with `exit_status`."""

    exit_status = 1


class InputError(RadiokitError):
    """The producer's input cannot be built: fix the script or its files."""

    exit_status = 2


class ScriptError(InputError):
    """One or more problems in the script, each already formatted as `file:line: where: what`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))

    def __reduce__(self) -> tuple[type[ScriptError], tuple[list[str]]]:
        return ScriptError, (self.problems,)  # pickled as built, for an error raised in a worker process


class AudioInputError(InputError):
    """An audio file named by the script cannot be decoded."""


class ArgumentError(RadiokitError, ValueError):
    """A library function was called with a value it cannot take (a Python caller's mistake)."""

    exit_status = 2


class EngineError(RadiokitError):
    """A speech engine failed, or is not installed: not the producer's script, so not exit status 2."""


class BuildError(RadiokitError):
    """The build ran but its result is not fit to deliver."""


class OutputError(RadiokitError):
    """The machine would not let the build write its package: a read-only folder, a full disk. Not the
    producer's script (2) nor the programme (1)."""

    exit_status = 3


class TransferError(RadiokitError):
    """A place to publish to or fetch from that cannot be reached, read or written: the network or the
    server, not the package. Exit 2, as for a wrong address: `radiokit fetch`'s contract with cron."""

    exit_status = 2


class ClusterError(RadiokitError):
    """A build on a Dask cluster that cannot run: Dask not installed, the scheduler not reached or lost during
    the build. The machines, not the script: exit 2, as for any server that cannot be reached."""

    exit_status = 2
