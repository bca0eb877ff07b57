"""gTTS for Russian, end to end against a local server that speaks Google Translate's speech protocol.

This machine cannot reach Google, so the test stands in for it on 127.0.0.1. gTTS is pointed there the
way any client is pointed at a network, through the HTTPS proxy setting, and runs unchanged: it opens a
CONNECT tunnel, speaks TLS (gTTS does not verify certificates; the server's is made here by openssl) and
POSTs its batchexecute request. The server answers as Google does, ")]}'" and length-prefixed JSON
chunks whose jQ1olc entry holds the MP3 in base64. The MP3 is real: espeak-ng reads the requested text
and the bundled ffmpeg encodes it, so the audio radiokit decodes can be measured against its source.
"""

from __future__ import annotations

import base64
import http.server
import itertools
import json
import socket
import socketserver
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from radiokit.audio_io import run_ffmpeg
from radiokit.errors import EngineError
from radiokit.script import Voice
from radiokit.tts import gtts, speak
from radiokit.tts.espeak import synthesize

# Short waits so that the retries and the rate limit are measurable without slowing the suite.
QUICK = gtts.Policy(timeout_s=2.0, tries=3, backoff_s=0.1, max_wait_s=1.0, min_interval_s=0.0)
MP3_RATE = 24000


@dataclass
class Request:
    at: float
    text: str
    language: str
    rpc: str


@dataclass
class FakeGoogle:
    """What the server will answer, one plan entry per request (then audio), and what it was asked."""

    port: int
    plan: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)


def mp3_of(text: str) -> bytes:
    """Real speech for `text` as Google sends it: 24 kHz mono MP3."""
    speech = synthesize(text, "ru")
    return run_ffmpeg(["-f", "s16le", "-ar", str(speech.sample_rate), "-ac", "1", "-i", "pipe:0",
                       "-ar", str(MP3_RATE), "-b:a", "32k", "-f", "mp3", "pipe:1"], stdin=speech.samples.tobytes())


def batchexecute_body(payload: str | None) -> bytes:
    """Google's response framing: the XSSI guard, then each compact JSON chunk after its length."""
    entry = json.dumps([["wrb.fr", "jQ1olc", payload, None, None, None, "generic"]], separators=(",", ":"))
    tail = json.dumps([["di", 42], ["af.httprm", 41, "-1", 7]], separators=(",", ":"))
    return f")]}}'\n\n{len(entry)}\n{entry}\n{len(tail)}\n{tail}\n".encode()


class _Google(http.server.BaseHTTPRequestHandler):
    """translate.google.com inside the tunnel."""

    server: _Proxy

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        rpc = json.loads(urllib.parse.parse_qs(body)["f.req"][0])
        rpc_id, arguments = rpc[0][0][0], json.loads(rpc[0][0][1])
        text, language = arguments[0], arguments[1]
        fake = self.server.fake
        fake.requests.append(Request(time.monotonic(), text, language, rpc_id))
        answer = fake.plan.pop(0) if fake.plan else "audio"
        if answer.startswith(("429", "503")):
            status, _, retry_after = answer.partition(":")
            self.send_response(int(status))
            if retry_after:
                self.send_header("Retry-After", retry_after)
            self.end_headers()
            return
        if answer == "slow":
            time.sleep(1.0)
        if self.path != "/_/TranslateWebserverUi/data/batchexecute" or rpc_id != "jQ1olc":
            self.send_response(404)
            self.end_headers()
            return
        payload = {
            "audio": json.dumps([base64.b64encode(mp3_of(text)).decode()], separators=(",", ":")),
            "no-audio": None,
            "not-mp3": json.dumps([base64.b64encode(b"<html>consent</html>" * 40).decode()], separators=(",", ":")),
        }[answer if answer != "slow" else "audio"]
        body_out = batchexecute_body(payload)
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body_out)))
        self.end_headers()
        self.wfile.write(body_out)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Tunnel(socketserver.BaseRequestHandler):
    """The HTTPS proxy: accept CONNECT to Google, then serve TLS on the same socket."""

    server: _Proxy

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        if not head.startswith(b"CONNECT translate.google.com:443 "):
            self.request.sendall(b"HTTP/1.1 403 Forbidden\r\n\r\n")
            return
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        with self.server.tls.wrap_socket(self.request, server_side=True) as tls:
            _Google(tls, self.client_address, self.server)


class _Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Tunnel)
        self.tls = tls
        self.fake = FakeGoogle(port=self.server_address[1])


@pytest.fixture(scope="session")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=translate.google.com", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def _use_proxy(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    for name in ("https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def google(tls_context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    proxy = _Proxy(tls_context)
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    _use_proxy(monkeypatch, proxy.fake.port)
    try:
        yield proxy.fake
    finally:
        proxy.shutdown()
        proxy.server_close()


def seconds(samples: np.ndarray, rate: int) -> float:
    return len(samples) / rate


def test_speech_comes_back_as_audio_decoded_from_the_mp3(google: FakeGoogle) -> None:
    text = "Добрый вечер. Президент России посетил Душанбе."
    speech = gtts.synthesize(text, "ru", QUICK)
    assert [(r.text, r.language, r.rpc) for r in google.requests] == [(text, "ru", "jQ1olc")]
    assert speech.sample_rate == MP3_RATE
    source = synthesize(text, "ru")
    # The MP3 codec adds its padding (well under 0.1 s); the speech itself is all there.
    assert seconds(speech.samples, MP3_RATE) == pytest.approx(seconds(source.samples, source.sample_rate), abs=0.1)
    rms = float(np.sqrt(np.mean(speech.samples.astype(np.float64) ** 2)))
    assert rms > 1000  # a voice, not silence


def test_a_long_text_goes_out_in_sentences_spaced_by_the_rate_limit(google: FakeGoogle) -> None:
    sentences = ["Москва не раз давала понять, что хотела бы вернуть пограничников на границу.",
                 "Душанбе против.",
                 "Глава Национальной ассоциации политологов считает, что отношения переживают большую перемену."]
    polite = gtts.Policy(timeout_s=2.0, tries=1, min_interval_s=0.3)
    speech = gtts.synthesize(" ".join(sentences), "ru", polite)
    sent = [r.text for r in google.requests]
    assert " ".join(sent) == " ".join(sentences) and all(len(text) <= 100 for text in sent)
    assert len(sent) == 2  # the short sentence rides with its neighbour
    starts = [r.at for r in google.requests]
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.29
    source = synthesize(" ".join(sentences), "ru")
    assert seconds(speech.samples, MP3_RATE) == pytest.approx(seconds(source.samples, source.sample_rate), rel=0.15)


def test_a_429_is_retried_after_the_wait_the_server_asks_for(google: FakeGoogle) -> None:
    google.plan = ["429:0.4"]
    speech = gtts.synthesize("Проверка связи.", "ru", QUICK)
    assert len(google.requests) == 2
    assert google.requests[1].at - google.requests[0].at >= 0.4
    assert len(speech.samples) > MP3_RATE // 4


def test_server_errors_are_retried_with_a_growing_backoff(google: FakeGoogle) -> None:
    google.plan = ["503", "503"]
    gtts.synthesize("Проверка связи.", "ru", QUICK)
    first, second, third = (r.at for r in google.requests)
    assert second - first >= 0.1 and third - second >= 0.2


@pytest.mark.parametrize(("answer", "reason"), [("429", "HTTP 429"), ("503", "HTTP 503")])
def test_retries_are_bounded(google: FakeGoogle, answer: str, reason: str) -> None:
    google.plan = [answer] * 10
    with pytest.raises(EngineError) as failure:
        gtts.synthesize("Проверка связи.", "ru", QUICK)
    assert len(google.requests) == QUICK.tries
    message = str(failure.value)
    assert reason in message and "after 3 tries" in message and "--offline" in message and "take" in message


@pytest.mark.parametrize(("answer", "reason"), [("no-audio", "malformed"), ("not-mp3", "does not decode")])
def test_a_malformed_answer_fails_at_once(google: FakeGoogle, answer: str, reason: str) -> None:
    google.plan = [answer]
    with pytest.raises(EngineError, match=reason):
        gtts.synthesize("Проверка связи.", "ru", QUICK)
    assert len(google.requests) == 1


def test_a_silent_server_times_out(google: FakeGoogle) -> None:
    google.plan = ["slow"] * 2
    started = time.monotonic()
    with pytest.raises(EngineError, match="no answer in time after 2 tries"):
        gtts.synthesize("Проверка связи.", "ru", gtts.Policy(timeout_s=0.3, tries=2, backoff_s=0.05,
                                                              min_interval_s=0.0))
    assert time.monotonic() - started < 2.0


def test_no_connection_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    _use_proxy(monkeypatch, port)
    started = time.monotonic()
    with pytest.raises(EngineError, match="cannot reach the service.*--offline"):
        gtts.synthesize("Проверка связи.", "ru", QUICK)
    assert time.monotonic() - started < 1.0  # not retried: a missing network does not come back in seconds


def test_tajik_is_refused_before_any_request(google: FakeGoogle) -> None:
    with pytest.raises(EngineError, match="cannot speak 'tg'"):
        gtts.synthesize("Салом", "tg", QUICK)
    assert google.requests == []


def test_a_gtts_voice_gets_the_normalized_text_without_stress_marks(google: FakeGoogle) -> None:
    voice = Voice("gtts", "ru")
    speech = speak("В 2014 году Абдулло уехал.", "ru", voice, {"абдулло": "Абдулл+о"})
    assert [r.text for r in google.requests] == ["В две тысячи четырнадцатом году Абдулло уехал."]
    assert seconds(speech.samples, speech.sample_rate) > 1.0


def test_the_cli_build_names_the_segment_when_gtts_fails(google: FakeGoogle, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from radiokit.cli import cli

    script = tmp_path / "episode.yaml"
    script.write_text(
        "format: radiokit/1\n"
        "programme: {series: Test, title: Test}\n"
        "languages: [ru]\n"
        "voices:\n"
        "  reporter: {ru: {engine: gtts}}\n"
        "segments:\n"
        "  - id: news\n"
        "    speaker: reporter\n"
        "    text: {ru: Проверка связи.}\n",
        encoding="utf-8")
    google.plan = ["no-audio"]
    result = CliRunner().invoke(cli, ["build", str(script), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1  # an engine failing is not the producer's input (2)
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"error: {script}:7: segments[1] (news): ru: gtts failed: the service answered without")
    assert "--offline" in line and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
