"""The baseline of `scripts/bench whisper`: faster-whisper (CTranslate2) on the very same model
(the CTranslate2 files we convert for whisper.cpp), clip and thread count.

    run.py transcribe MODEL_DIR AUDIO THREADS RUNS COMPUTE_TYPE LANGUAGE TEXT_OUT
        prints `rtf_median=… rtf_all=… peak_rss_mb=…` and writes the last run's text
    run.py wer REFERENCE_FILE HYPOTHESIS_FILE
        prints the word error rate in percent, normalised as Whisper.wordErrorRate does
"""
import re
import resource
import sys
import time
import unicodedata


def words(text):
    text = unicodedata.normalize("NFKC", text).lower()
    return re.findall(r"[\w']+", text)


def wer(reference, hypothesis):
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return 100.0 * previous[-1] / max(1, len(ref))


def transcribe(model_dir, audio, threads, runs, compute_type, language, text_out):
    from faster_whisper import WhisperModel, decode_audio
    model = WhisperModel(model_dir, device="cpu", compute_type=compute_type, cpu_threads=threads, num_workers=1)
    samples = decode_audio(audio, sampling_rate=16000)
    seconds = len(samples) / 16000
    factors, text = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        segments, _info = model.transcribe(samples, language=None if language == "auto" else language, beam_size=1,
                                           temperature=0.0, condition_on_previous_text=False, vad_filter=False)
        text = " ".join(segment.text.strip() for segment in segments)
        factors.append((time.perf_counter() - start) / seconds)
    with open(text_out, "w") as handle:
        handle.write(text)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ordered = sorted(factors)
    print(f"rtf_median={ordered[len(ordered) // 2]:.3f} rtf_all={','.join(f'{f:.3f}' for f in factors)} peak_rss_mb={peak:.0f}")


if __name__ == "__main__":
    if sys.argv[1] == "wer":
        print(f"{wer(open(sys.argv[2]).read(), open(sys.argv[3]).read()):.1f}")
    else:
        model_dir, audio, threads, runs, compute_type, language, text_out = sys.argv[2:9]
        transcribe(model_dir, audio, int(threads), int(runs), compute_type, language, text_out)
