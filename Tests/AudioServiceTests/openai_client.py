"""The official OpenAI Python client pointed at audio-service, used unchanged.

    openai_client.py BASE_URL API_KEY FILE   -> prints one JSON object with what came back
"""
import json
import sys

from openai import OpenAI


def main():
    base_url, api_key, path = sys.argv[1:4]
    client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=120)
    with open(path, "rb") as audio:
        plain = client.audio.transcriptions.create(model="whisper-1", file=audio)
    with open(path, "rb") as audio:
        verbose = client.audio.transcriptions.create(
            model="whisper-1", file=audio, response_format="verbose_json", timestamp_granularities=["word", "segment"]
        )
    with open(path, "rb") as audio:
        vtt = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="vtt")
    with open(path, "rb") as audio:
        translation = client.audio.translations.create(model="whisper-1", file=audio)
    models = [model.id for model in client.models.list()]
    print(json.dumps({
        "text": plain.text,
        "verbose_text": verbose.text,
        "duration": verbose.duration,
        "segments": len(verbose.segments or []),
        "words": len(verbose.words or []),
        "vtt_starts_with_header": str(vtt).startswith("WEBVTT"),
        "models": models,
        "translation": translation.text,
    }))


if __name__ == "__main__":
    main()
