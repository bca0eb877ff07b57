"""Measure the levels of beds and voice-over originals in each phase, as radiokit renders them.

    python scripts/phase_levels.py examples/iwpr-tajikistan-russia/episode.yaml

For every speech segment with a bed, and every clip heard under a voice-over, the segment is rendered
twice: as scripted, and with the voice (or translation) replaced by silence of the same length. The
second rendering is the music (or original) alone with exactly the same ducking, so each phase can be
measured on its own. Levels are loudness (LUFS, BS.1770) relative to the voice, in LU.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

from radiokit import audio_io, tts
from radiokit.audio_io import AudioSegment
from radiokit.loudness import measure
from radiokit.render import render
from radiokit.script import Script, Segment, VoiceOverLine, load_script


def lufs(audio: AudioSegment, start_s: float, end_s: float) -> float:
    samples = audio_io.to_array(audio)
    rate = audio.frame_rate
    return measure(samples[round(start_s * rate) : round(end_s * rate)], rate).integrated_lufs


def silent_take(folder: Path, name: str, seconds: float, rate: int) -> Path:
    path = folder / f"{name}.wav"
    audio_io.write_wav(path, audio_io.from_array(np.zeros((round(seconds * rate), 1)), rate))
    return path


def bed_phases(script: Script, segment: Segment, language: str, scratch: Path) -> str:
    assert segment.bed is not None
    bed = segment.bed
    mixed = render(script, segment, language).audio
    voice_s = len(mixed) / 1000 - bed.preroll_s - bed.postroll_s - bed.fade_out_s
    silent = silent_take(scratch, f"{segment.id}-{language}", voice_s, script.delivery.sample_rate)
    music = render(script, dataclasses.replace(segment, take={**segment.take, language: silent}), language).audio
    voice_end = bed.preroll_s + voice_s
    voice = lufs(mixed, bed.preroll_s, voice_end)  # the voice over a bed 18 dB under it: within 0.1 LU of alone
    phases = {
        "preroll": lufs(music, 0.0, bed.preroll_s - 0.5),
        "under the voice": lufs(music, bed.preroll_s, voice_end),
        "postroll": lufs(music, voice_end + 0.5, voice_end + bed.postroll_s),
    }
    return f"{language} {segment.id} bed (under_db {bed.under_db:+.0f}): " + ", ".join(
        f"{name} {level - voice:+.1f} LU" for name, level in phases.items())


def voiceover_phases(script: Script, segment: Segment, language: str, scratch: Path) -> str:
    vo = segment.voiceover
    assert vo is not None
    mixed = render(script, segment, language).audio
    line = vo.lines[language]
    translation_s = _translation_seconds(script, line, language)
    silent = silent_take(scratch, f"{segment.id}-{language}", translation_s, script.delivery.sample_rate)
    lines = {**vo.lines, language: VoiceOverLine(speaker=None, text=line.text, take=silent)}
    original = render(script, dataclasses.replace(segment, voiceover=dataclasses.replace(vo, lines=lines)),
                      language).audio
    end = vo.lead_s + translation_s
    translation = lufs(mixed, vo.lead_s, end)
    phases = {"lead": lufs(original, 0.0, vo.lead_s), "under the translation": lufs(original, vo.lead_s + 0.3, end)}
    if len(original) / 1000 > end + 0.7:
        phases["tail"] = lufs(original, end + 0.3, len(original) / 1000)
    return f"{language} {segment.id} original under voice-over (under_db {vo.under_db:+.0f}): " + ", ".join(
        f"{name} {level - translation:+.1f} LU" for name, level in phases.items())


def _translation_seconds(script: Script, line: VoiceOverLine, language: str) -> float:
    if line.take is not None:
        audio = audio_io.decode(line.take, script.delivery.sample_rate, script.delivery.channels)
        return len(audio) / 1000
    assert line.speaker is not None and line.text is not None
    speech = tts.speak(line.text, language, script.voices[line.speaker][language], script.lexicon.get(language, {}))
    return len(speech.samples) / speech.sample_rate


def main(path: str) -> None:
    script = load_script(Path(path))
    with tempfile.TemporaryDirectory() as scratch:
        for language in script.languages:
            for segment in script.segments_for(language):
                if segment.bed is not None:
                    print(bed_phases(script, segment, language, Path(scratch)))
                vo = segment.voiceover
                if vo is not None and segment.clip_language != language and language in vo.lines:
                    print(voiceover_phases(script, segment, language, Path(scratch)))


if __name__ == "__main__":
    main(sys.argv[1])
