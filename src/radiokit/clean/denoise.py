"""Broadband noise reduction: a Wiener gain per STFT bin from a noise spectrum measured in the clip's pauses."""

from __future__ import annotations

import math

import numpy as np
from scipy.fft import irfft, rfft

from radiokit.clean.levels import SILENT_MEAN_SQUARE, dbfs
from radiokit.clean.report import StepReport
from radiokit.clean.tape import Tape

_FRAME_S = 0.043  # analysis frame: resolves a low voice's harmonics (2048 frames at 44.1 and 48 kHz)
_OVERLAP = 8  # frames over each sample: 87.5 % overlap (Hann in and out) follows onsets closer than 75 % does
_NOISE_QUANTILE = 0.1  # the quietest tenth of frames (digital silence left out) gives the noise spectrum
_FLOOR_LOW_QUANTILE = 0.02
_STEADY_FLOOR_DB = 3.0  # noise frames of 43 ms vary by about a dB: a wider spread is not a noise floor
_SMOOTHING = 0.95  # decision-directed a-priori SNR (Ephraim-Malah), run forwards and backwards
_MIN_PRIOR_SNR = 1e-3
ATTENUATION_LIMIT_DB = 20.0  # deepest cut: deeper sounds hollow and leaves isolated "musical" tones
_ACT_BELOW_SPEECH_DB = 40.0  # noise this far under the loud frames is left alone
_ACT_ABOVE_DBFS = -75.0  # and so is noise under this level
_CHUNK_FRAMES = 512  # frames per block of work: bounds memory (larger blocks take more and are no faster)
_LANES = 4  # blocks whose recursions share one Python loop: a quarter of the interpreter's overhead
_MARGIN_FRAMES = 128  # the recursion forgets its start within this many frames (0.95 ** 128 < 0.002)


def _frame_length(sample_rate: int) -> int:
    return 2 ** round(math.log2(_FRAME_S * sample_rate))


def _prior_snr(posterior: np.ndarray) -> np.ndarray:
    """Decision-directed a-priori SNR along the first axis (frames) of the a-posteriori SNR, from silence."""
    # Each frame's measured part, (1 - smoothing) * max(posterior - 1, 0), made for all frames at once and
    # then turned into the prior in place: a long clip's group of frames is large.
    prior = np.subtract(posterior, 1.0)
    np.maximum(prior, 0.0, out=prior)
    prior *= 1.0 - _SMOOTHING
    carried = np.zeros(posterior.shape[1:], dtype=posterior.dtype)  # last frame's clean-speech power / noise
    gain = np.empty_like(carried)
    for index, gamma in enumerate(posterior):
        xi = prior[index]
        np.multiply(carried, _SMOOTHING, out=gain)
        xi += gain
        np.maximum(xi, _MIN_PRIOR_SNR, out=xi)
        np.divide(xi, xi + 1.0, out=gain)
        np.multiply(gain, gain, out=carried)
        carried *= gamma
    return prior


class _Stft:
    """Hann-windowed frames of a tape, with a frame of silence before it and enough after for every sample to
    sit in _OVERLAP frames, read a block of frames at a time (in float32: scipy.fft is twice as fast in it
    as in float64); their overlap-add written to a new tape as each stretch of it is complete."""

    def __init__(self, tape: Tape, sample_rate: int) -> None:
        self.tape = tape
        self.frame = _frame_length(sample_rate)
        self.hop = self.frame // _OVERLAP
        self.length = tape.frames
        padded = self.frame + tape.frames + self.frame + (-tape.frames) % self.hop
        self.count = (padded - self.frame) // self.hop + 1
        self.window = np.hanning(self.frame + 1)[:-1]  # periodic: overlapped squares sum to a constant
        self._window32 = self.window.astype(np.float32)
        self._norm = np.square(self.window).sum() / self.hop
        self._out: Tape | None = None
        # Overlap-add target from hop-long block `_first` on: (blocks, hop, channels)
        self._first = 0
        self._blocks = np.zeros((_OVERLAP - 1, self.hop, tape.channels))

    def _padded(self, start: int, stop: int) -> np.ndarray:
        """Padded samples [start, stop), in float32: the tape's, with silence before and after it."""
        block = np.zeros((stop - start, self.tape.channels), dtype=np.float32)
        first, last = max(start, self.frame), min(stop, self.frame + self.length)
        if first < last:
            block[first - start : last - start] = self.tape.read(first - self.frame, last - self.frame)
        return block

    def spectra(self, first: int, stop: int, chosen: np.ndarray | None = None) -> np.ndarray:
        """Spectra (frames, bins, channels) of frames first to stop, or of the `chosen` ones (offsets from
        `first`) among them."""
        padded = self._padded(first * self.hop, (stop - 1) * self.hop + self.frame)
        frames = np.lib.stride_tricks.sliding_window_view(padded, self.frame, axis=0)[:: self.hop]
        if chosen is not None:
            frames = frames[chosen]
        return rfft(frames * self._window32, axis=-1).transpose(0, 2, 1)

    def frame_energies(self) -> np.ndarray:
        """Energy of every frame, channels summed, each hop of it weighted by the window's mean square there;
        exactly 0.0 for digital silence (sums of squares, no differences). Hops are read a piece at a time,
        each adding to the frames it lies in."""
        weights = np.square(self.window).reshape(_OVERLAP, self.hop).mean(axis=1)
        energies = np.zeros(self.count)
        hops_per_read = self.tape.piece_of(self.hop) // self.hop
        for first in range(0, self.count + _OVERLAP - 1, hops_per_read):
            stop = min(first + hops_per_read, self.count + _OVERLAP - 1)
            used = self._padded(first * self.hop, stop * self.hop).reshape(stop - first, -1)
            hops = np.einsum("hk,hk->h", used, used, dtype=np.float64)
            for part in range(_OVERLAP):  # hop h is part p of frame h - p
                low, high = max(first - part, 0), min(stop - part, self.count)
                if low < high:
                    energies[low:high] += weights[part] * hops[low + part - first : high + part - first]
        return energies

    def add(self, first: int, spectra: np.ndarray) -> None:
        """Overlap-add the frames whose spectra are given, starting at frame `first`, which must be the frame
        after the last one added (frames are added in order)."""
        frames = irfft(spectra.transpose(0, 2, 1), n=self.frame, axis=-1) * self._window32
        parts = frames.reshape(len(frames), frames.shape[1], _OVERLAP, self.hop)
        grown = np.zeros((first + len(frames) + _OVERLAP - 1 - self._first, self.hop, self.tape.channels))
        grown[: len(self._blocks)] = self._blocks
        self._blocks = grown
        offset = first - self._first
        for part in range(_OVERLAP):  # part p of frame t lands on output block t + p
            self._blocks[offset + part : offset + part + len(frames)] += parts[:, :, part].transpose(0, 2, 1)
        # Blocks before the next frame's first are complete: out they go.
        self._flush(first + len(frames))

    def _flush(self, until: int) -> None:
        done = self._blocks[: until - self._first] / self._norm
        samples = done.reshape(-1, self.tape.channels)
        start = self._first * self.hop - self.frame  # where the blocks start in the tape
        head = max(0, -start)
        stop = min(len(samples), self.length - start)
        if self._out is None:
            self._out = self.tape.blank(self.length, self.tape.channels)
        if head < stop:
            self._out.write(start + head, samples[head:stop])
        self._blocks = self._blocks[until - self._first :]
        self._first = until

    def result(self) -> Tape:
        """The output, once every frame is added."""
        self._flush(self._first + len(self._blocks))
        assert self._out is not None
        return self._out


def _quiet_frames(energies: np.ndarray, frame: int) -> tuple[np.ndarray, float] | None:
    """The quietest tenth of the frames that are not digital silence, and how far (dB) the quietest
    frames spread: under a few dB where a steady noise floor runs under the speech, tens of dB where the
    quiet frames are only the fading edges of words. None if every frame is silent."""
    audible = energies > SILENT_MEAN_SQUARE * frame
    count = int(np.count_nonzero(audible))
    if count == 0:
        return None
    keyed = np.where(audible, energies, np.inf)  # silence sorts last
    quiet_count = max(1, math.ceil(_NOISE_QUANTILE * count))
    lowest_count = max(1, math.ceil(_FLOOR_LOW_QUANTILE * count))
    order = np.argpartition(keyed, (lowest_count - 1, quiet_count - 1))
    quiet = order[:quiet_count]
    spread_db = 10.0 * math.log10(keyed[order[quiet_count - 1]] / keyed[order[lowest_count - 1]])
    return quiet, spread_db


def _power(spectra: np.ndarray) -> np.ndarray:
    return np.square(spectra.real, dtype=np.float64) + np.square(spectra.imag, dtype=np.float64)


def _noise_spectrum(stft: _Stft, quiet: np.ndarray) -> np.ndarray:
    """Mean power spectrum, channels summed, of the given frames, read in order a block at a time."""
    total = np.zeros(stft.frame // 2 + 1)
    chosen = np.sort(quiet)
    for first in range(0, stft.count, _CHUNK_FRAMES):
        stop = min(first + _CHUNK_FRAMES, stft.count)
        within = chosen[np.searchsorted(chosen, first) : np.searchsorted(chosen, stop)]
        if within.size:
            total += _power(stft.spectra(first, stop, within - first)).sum(axis=(0, 2))
    return total / quiet.size


def reduce_noise(tape: Tape, sample_rate: int) -> tuple[Tape, StepReport]:
    """Reduce steady broadband noise in the tape by at most ATTENUATION_LIMIT_DB, the same gain on every
    channel, into a new tape of the same kind; a tape without a steady noise floor, or with one low enough,
    comes back as it is."""
    stft = _Stft(tape, sample_rate)
    energies = stft.frame_energies()
    found = _quiet_frames(energies, stft.frame)
    if found is None:
        return tape, StepReport("denoise", False, "digital silence: no noise to measure")
    quiet, spread_db = found
    if spread_db > _STEADY_FLOOR_DB:
        return tape, StepReport("denoise", False,
                                f"no steady noise floor (quiet frames spread over {spread_db:.0f} dB)")
    window_energy = float(np.square(stft.window).sum()) * tape.channels
    noise_dbfs = dbfs(float(energies[quiet].mean()) / window_energy)
    speech_dbfs = dbfs(float(np.percentile(energies, 95.0)) / window_energy)
    measured = f"noise floor {noise_dbfs:.0f} dBFS, {speech_dbfs - noise_dbfs:.0f} dB under speech"
    if noise_dbfs < _ACT_ABOVE_DBFS or speech_dbfs - noise_dbfs > _ACT_BELOW_SPEECH_DB:
        return tape, StepReport("denoise", False, f"{measured}: left alone")
    _apply_gains(stft, np.maximum(_noise_spectrum(stft, quiet), SILENT_MEAN_SQUARE))
    return stft.result(), StepReport("denoise", True, f"{measured}: reduced by up to {ATTENUATION_LIMIT_DB:.0f} dB")


def _apply_gains(stft: _Stft, noise: np.ndarray) -> None:
    """Overlap-add every frame with its Wiener gain. Frames go in blocks of _CHUNK_FRAMES, each seen with
    _MARGIN_FRAMES either side; the recursions of _LANES blocks, forwards and backwards, run side by side
    in one Python loop, since each block's are independent of the others'."""
    floor_gain = 10.0 ** (-ATTENUATION_LIMIT_DB / 20.0)
    firsts = range(0, stft.count, _CHUNK_FRAMES)
    for group in (firsts[index : index + _LANES] for index in range(0, len(firsts), _LANES)):
        spans = [(first, min(first + _CHUNK_FRAMES, stft.count), max(0, first - _MARGIN_FRAMES),
                  min(stft.count, first + _CHUNK_FRAMES + _MARGIN_FRAMES)) for first in group]
        # (frames, direction, lane, bins); a short lane's tail of zeros comes after all it needs
        posterior = np.zeros((max(tail - lead for _, _, lead, tail in spans), 2, len(spans), len(noise)),
                             dtype=np.float32)
        spectra = []
        for lane, (_, _, lead, tail) in enumerate(spans):
            spectra.append(stft.spectra(lead, tail))
            ratio = _power(spectra[-1]).sum(axis=-1) / noise
            posterior[: tail - lead, 0, lane] = ratio
            posterior[: tail - lead, 1, lane] = ratio[::-1]
        prior = _prior_snr(posterior)
        for lane, (first, stop, lead, tail) in enumerate(spans):
            both = np.sqrt(prior[: tail - lead, 0, lane] * prior[: tail - lead, 1, lane][::-1])
            gain = np.maximum(both / (1.0 + both), floor_gain)[first - lead : stop - lead]
            stft.add(first, spectra[lane][first - lead : stop - lead] * gain[..., np.newaxis])
