"""Builds on a Dask cluster: a LocalCluster of 2 worker processes (1 thread each) started here, and the packages
it makes against local builds of the same scripts, read back by independent readers (ffprobe's chapters,
ffmpeg's ebur128 meter) and by `radiokit verify`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import distributed
import numpy as np
import pytest
from commands import radiokit
from conftest import make_episode
from media import convert, decode, ebur128, ffprobe, write_wav
from servers import free_port

from radiokit.batch import build_all
from radiokit.pipeline import build
from radiokit.settings import BuildOptions



@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Any, Any]]:
    local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                     silence_logs=50)
    client = distributed.Client(local)
    yield local, client
    client.close()
    local.close()


def recorded_episode(folder: Path, number: int) -> Path:
    """The test episode with every line a recorded take: espeak-ng's output depends on what the same process
    spoke before (docs/speech.md), so that only recordings make two builds comparable to the sample."""
    script = make_episode(folder)
    for name, seconds, hz in (("headline-ru", 2.4, 180), ("headline-tg", 2.9, 210), ("voiceover-tg", 2.2, 160),
                              ("sign-off-tg", 1.1, 200)):
        t = np.arange(round(seconds * 16000)) / 16000
        write_wav(folder / "takes" / f"{name}.wav", 0.2 * np.sin(2 * np.pi * hz * t) * np.sin(np.pi * t / seconds),
                  16000)
    text = script.read_text(encoding="utf-8").replace("episode: 7", f"episode: {number}")
    for line, recorded in (
            ("      tg: Шоми хуш. Президенти Русия ба Душанбе омад.\n",
             "      tg: Шоми хуш. Президенти Русия ба Душанбе омад.\n"
             "    take: {ru: takes/headline-ru.wav, tg: takes/headline-tg.wav}\n"),
            ('      tg: {speaker: translator, text: "Ба гуфтаи таҳлилгар, равобит амалӣ шуданд."}\n',
             "      tg: {take: takes/voiceover-tg.wav}\n"),
            ("    take: {ru: takes/sign-off-ru.wav}\n",
             "    take: {ru: takes/sign-off-ru.wav, tg: takes/sign-off-tg.wav}\n")):
        assert line in text
        text = text.replace(line, recorded)
    script.write_text(text, encoding="utf-8")
    return script


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A day's folder of three episodes, each in a folder of its own with its episode.yaml."""
    root = tmp_path_factory.mktemp("day")
    for number in (7, 8, 9):
        recorded_episode(root / f"episode-{number}", number)
    return root


def chapters(path: Path) -> list[tuple[float, float]]:
    return [(float(chapter["start_time"]), float(chapter["end_time"])) for chapter in ffprobe(path)["chapters"]]


def test_a_batch_on_the_cluster_matches_local_builds_and_ran_on_the_workers(cluster: tuple[Any, Any], day: Path,
                                                                            tmp_path: Path) -> None:
    local, client = cluster
    scripts = sorted(day.glob("*/episode.yaml"))
    here = build_all(scripts, BuildOptions(out=tmp_path / "local", cache=None))
    with distributed.get_task_stream(client) as stream:
        done = radiokit("build", str(day), "--out", str(tmp_path / "cluster"), "--no-cache", "--json",
                        "--scheduler", local.scheduler_address, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["built"] == 3 and summary["failed"] == 0
    assert [episode["script"] for episode in summary["episodes"]] == [str(script) for script in scripts]

    segments = sum(len(entry.segments) for outcome in here for entry in outcome.report.languages)
    tasks = [(task["key"], task["worker"]) for task in stream.data]
    renders = [worker for key, worker in tasks if key.startswith("radiokit-render-")]
    masters = [worker for key, worker in tasks if key.startswith("radiokit-master-")]
    assert (len(renders), len(masters)) == (segments, 6)
    assert set(renders + masters) == set(client.scheduler_info()["workers"]), "both workers, and only they, worked"

    for outcome, episode in zip(here, summary["episodes"], strict=True):
        report = outcome.report
        cluster_zip = Path(episode["build"]["package"])
        assert radiokit("verify", str(cluster_zip), cwd=tmp_path).returncode == 0
        for entry, built in zip(report.languages, episode["build"]["languages"], strict=True):
            mine, theirs = report.folder / entry.file, Path(built["programme"])
            assert len(decode(mine)) == len(decode(theirs))
            assert chapters(mine) == chapters(theirs) and len(chapters(mine)) == len(entry.segments)
            assert abs(ebur128(mine)[0] - ebur128(theirs)[0]) <= 0.05


def test_progress_on_the_cluster_counts_every_segment_and_language(cluster: tuple[Any, Any], day: Path,
                                                                   tmp_path: Path) -> None:
    class Recorder:
        def __init__(self) -> None:
            self.stages: list[list[Any]] = []

        def start(self, label: str, total: int) -> None:
            self.stages.append([label, total, 0])

        def advance(self) -> None:
            self.stages[-1][2] += 1

    seen = Recorder()
    report = build(day / "episode-7" / "episode.yaml", BuildOptions(out=tmp_path, cache=None),
                   progress=seen, scheduler=cluster[0].scheduler_address)
    segments = sum(len(entry.segments) for entry in report.languages)
    assert seen.stages == [["rendering", segments, segments], ["mastering", 2, 2]]


def test_without_a_scheduler_dask_is_never_imported(day: Path, tmp_path: Path) -> None:
    code = ("import sys; from radiokit.pipeline import build; "
            f"build({str(day / 'episode-8' / 'episode.yaml')!r}, out={str(tmp_path)!r}, cache=None); "
            "print(sorted(name for name in sys.modules if name.split('.')[0] in ('dask', 'distributed')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert len(list(tmp_path.glob("*.zip"))) == 1


def test_a_scheduler_without_dask_installed_says_what_to_install(day: Path, tmp_path: Path) -> None:
    code = ("import sys; sys.modules['distributed'] = None; sys.argv = ['radiokit', 'build', "
            f"{str(day / 'episode-7' / 'episode.yaml')!r}, '--out', 'out', '--scheduler', 'tcp://127.0.0.1:8786']; "
            "from radiokit.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (2, "error: --scheduler needs Dask: pip install 'radiokit[cluster]' "
                                                 "(on the workers too)\n")
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_scheduler_is_one_line_and_leaves_the_previous_package(day: Path, tmp_path: Path) -> None:
    script = day / "episode-9" / "episode.yaml"
    first = build(script, BuildOptions(out=tmp_path / "out", cache=None))
    before = first.zip_path.read_bytes()
    address = f"tcp://127.0.0.1:{free_port()}"
    done = radiokit("build", str(script), "--out", str(tmp_path / "out"), "--no-cache", cwd=tmp_path,
                    env={"RADIOKIT_SCHEDULER": address})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(f"error: cannot reach the Dask scheduler at {address}")
    assert "Traceback" not in done.stderr
    assert first.zip_path.read_bytes() == before
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [first.folder.name, first.zip_path.name]


def long_episode(folder: Path) -> Path:
    """One language: a three-minute field recording (cleaned: seconds of work for one task) between two links."""
    script = make_episode(folder)
    rate = 22050
    rng = np.random.default_rng(5)
    t = np.arange(180 * rate) / rate
    speech = 0.1 * np.sin(2 * np.pi * 180 * t) * (0.55 + 0.45 * np.sin(2 * np.pi * 3 * t))
    write_wav(folder / "audio" / "field.wav", speech + 0.01 * rng.standard_normal(t.size), rate)
    convert(folder / "audio" / "field.wav", folder / "audio" / "field.flac")
    text = script.read_text(encoding="utf-8")
    text = text.replace("languages: [ru, tg]", "languages: [ru]").replace("episode: 7", "episode: 70")
    text = text.replace("  - id: pause\n", "  - id: field\n    title: {ru: С места}\n    clip: audio/field.flac\n"
                                          "  - id: pause\n")
    script.write_text(text, encoding="utf-8")
    return script


def test_z_a_worker_killed_mid_task_is_survived(cluster: tuple[Any, Any], tmp_path: Path) -> None:
    """Last in this file: it kills one of the fixture's workers (its nanny starts another)."""
    local, client = cluster
    script = long_episode(tmp_path / "episode")
    pids = client.run(os.getpid)
    result: dict[str, Any] = {}

    def run() -> None:
        result["report"] = build(script, BuildOptions(out=tmp_path / "out", cache=None,
                                                      scheduler=local.scheduler_address))

    def executing(dask_worker: Any) -> list[str]:
        return [str(task.key) for task in dask_worker.state.executing]

    with distributed.get_task_stream(client) as stream:
        builder = threading.Thread(target=run)
        builder.start()
        killed: tuple[str, str] | None = None
        deadline = time.monotonic() + 120
        while killed is None and builder.is_alive() and time.monotonic() < deadline:
            for worker, keys in client.run(executing).items():
                if any(key.startswith("radiokit-master-") for key in keys):
                    os.kill(pids[worker], signal.SIGKILL)
                    killed = worker, keys[0]
                    break
            time.sleep(0.02)
        builder.join(timeout=300)
    assert killed is not None, "the mastering task was never seen running"
    worker, key = killed
    finished = [task for task in stream.data if task["key"] == key]
    assert [task["worker"] for task in finished] != [worker] and finished, "the killed task ran again elsewhere"
    report = result["report"]
    assert radiokit("verify", str(report.zip_path), cwd=tmp_path).returncode == 0
    [field] = [segment for segment in report.languages[0].segments if segment.id == "field"]
    assert abs(field.duration_s - 180) < 0.01


def test_a_scheduler_lost_mid_batch_is_one_line_and_leaves_the_previous_package(day: Path, tmp_path: Path) -> None:
    """A cluster started as docs/cluster.md says (`dask scheduler`, `dask worker ADDRESS`), its scheduler
    killed while the tasks of a batch of two episodes, built side by side, run."""
    script = long_episode(tmp_path / "episode")
    first = build(script, BuildOptions(out=tmp_path / "out", cache=None))
    before = first.zip_path.read_bytes()
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).with_name("dask"))
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                 stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard"],
                              stderr=subprocess.DEVNULL)
    try:
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=120)
            builder = subprocess.Popen([sys.executable, "-m", "radiokit", "build", str(script),
                                        str(day / "episode-7" / "episode.yaml"), "--out", str(tmp_path / "out"),
                                        "--no-cache", "--jobs", "2", "--scheduler", address],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 120
            while not any(client.processing().values()) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert any(client.processing().values()), "the build's tasks never reached the scheduler"
            scheduler.kill()
        started = time.monotonic()
        _, err = builder.communicate(timeout=120)
        waited = time.monotonic() - started
    finally:
        for process in (scheduler, worker):
            process.kill()
            process.wait()
    assert builder.returncode == 2, err
    assert err.splitlines() == [err.strip()] and "Traceback" not in err
    assert err.startswith("error: ") and f"the build's tasks on the Dask cluster at {address} failed" in err
    assert waited < 60
    assert first.zip_path.read_bytes() == before
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [first.folder.name, first.zip_path.name]


def test_sigterm_during_a_batch_on_the_cluster_leaves_nothing_behind(cluster: tuple[Any, Any], day: Path,
                                                                      tmp_path: Path) -> None:
    local, client = cluster
    (tmp_path / "out").mkdir()
    builder = subprocess.Popen([sys.executable, "-m", "radiokit", "build", str(day), "--out", str(tmp_path / "out"),
                                "--no-cache", "--jobs", "3", "--scheduler", local.scheduler_address],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.02)
    builder.send_signal(signal.SIGTERM)
    _, err = builder.communicate(timeout=120)
    assert builder.returncode == 143, err
    assert err == "error: terminated; the previous package is untouched\n"
    # An episode the batch finished before the signal (a loaded machine can be slow to see the first tasks)
    # stays, whole: its folder and its zip. Nothing else does: no staging folder, no package begun.
    left = sorted(path.name for path in (tmp_path / "out").iterdir())
    finished = [name.removesuffix(".zip") for name in left if name.endswith(".zip")]
    assert left == sorted([*finished, *(f"{name}.zip" for name in finished)]), left
