"""scripts/convert-whisper-model's Q8_0 writer against ggml's reference quantizer, written out
scalar by scalar as in ggml-quants.c (quantize_row_q8_0_ref), and the file it writes."""
import importlib.machinery
import importlib.util
import struct
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
loader = importlib.machinery.SourceFileLoader("convert", str(ROOT / "scripts/convert-whisper-model"))
spec = importlib.util.spec_from_loader("convert", loader)
convert = importlib.util.module_from_spec(spec)
loader.exec_module(convert)


def reference_q8_0(values):
    """ggml's quantize_row_q8_0_ref, one float at a time (float32 arithmetic, roundf)."""
    out = b""
    f32 = np.float32
    for start in range(0, len(values), 32):
        block = [f32(v) for v in values[start:start + 32]]
        amax = f32(0)
        for v in block:
            amax = max(amax, f32(abs(v)))
        d = f32(amax / f32(127))
        inverse = f32(f32(1) / d) if d != 0 else f32(0)
        out += np.float16(d).tobytes()
        for v in block:
            x = f32(v * inverse)
            rounded = int(abs(x) + 0.5) * (1 if x >= 0 else -1)  # roundf: halves away from zero
            out += struct.pack("<b", rounded)
    return out


class Q8Test(unittest.TestCase):
    def test_matches_the_reference_on_random_and_edge_blocks(self):
        rng = np.random.default_rng(7)
        random = rng.normal(0, 0.05, size=(6, 64)).astype(np.float16)
        edges = np.zeros((2, 64), dtype=np.float16)
        edges[0, :32] = 0  # an all-zero block: scale 0, every value 0
        edges[0, 32:] = np.linspace(-1, 1, 32)  # exact halves after scaling
        edges[1, :] = [(127.0, 2.5, -0.5, 4.5)[i % 4] for i in range(64)]  # scale 1: x.5 exactly
        for matrix in (random, edges):
            flat = matrix.astype(np.float32).ravel()
            self.assertEqual(convert.quantize_q8_0(matrix), reference_q8_0(flat))

    def test_file_types_per_tensor(self):
        """2-D weights become Q8_0; conv kernels (3-D) stay f16; biases, norms and positional
        embeddings stay f32; the header's ftype carries ggml's quantization version."""
        hp = {k: 1 for k in ("n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer", "n_text_ctx",
                             "n_text_state", "n_text_head", "n_text_layer", "n_mels")}
        tensors = [("encoder.conv1.weight", np.ones((64, 80, 3), np.float32)),
                   ("encoder.conv1.bias", np.ones(64, np.float32)),
                   ("encoder.positional_embedding", np.ones((4, 64), np.float32)),
                   ("encoder.blocks.0.mlp.0.weight", np.ones((8, 64), np.float32)),
                   ("encoder.blocks.0.mlp.0.bias", np.ones(8, np.float32))]
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "model.bin"
            convert.write_ggml(path, hp, np.zeros((80, 201), np.float32), [b"a"], tensors, use_f16=True, quantize="q8_0")
            blob = path.read_bytes()
        self.assertEqual(struct.unpack_from("<12i", blob)[-1], 2007)
        at = 48 + 8 + 80 * 201 * 4 + 4 + 4 + 1
        types = {}
        while at < len(blob):
            ndim, length, ttype = struct.unpack_from("<3i", blob, at)
            shape = struct.unpack_from(f"<{ndim}i", blob, at + 12)
            name = blob[at + 12 + 4 * ndim:at + 12 + 4 * ndim + length].decode()
            count = int(np.prod(shape))
            size = {0: 4 * count, 1: 2 * count, 8: count // 32 * 34}[ttype]
            types[name] = ttype
            at += 12 + 4 * ndim + length + size
        self.assertEqual(at, len(blob))
        self.assertEqual(types, {"encoder.conv1.weight": 1, "encoder.conv1.bias": 0, "encoder.positional_embedding": 0,
                                 "encoder.blocks.0.mlp.0.weight": 8, "encoder.blocks.0.mlp.0.bias": 0})


if __name__ == "__main__":
    sys.exit(unittest.main())
