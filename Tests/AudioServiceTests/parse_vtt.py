"""Parses a WebVTT file with an independent parser (webvtt-py); prints "<count>|<start>|<text>" per cue."""
import sys

import webvtt

for caption in webvtt.read(sys.argv[1]):
    print(f"{caption.start}|{caption.end}|{caption.text.replace(chr(10), ' ')}")
