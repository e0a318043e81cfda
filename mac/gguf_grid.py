"""Writes MatMul weights that came from a GGUF back onto the GGUF's own quantization grid, exactly.

The default LM is SmolLM2's Q4_1 GGUF, dequantized: every block of 32 input weights of a layer is
`w = d·q + m` (q in 0..15, d and m fp16), and the tied LM head is Q8_0 (`w = d·q`, q in -127..127).
ONNX Runtime's MatMulNBits stores `(q - zero_point)·scale` with an integer zero point, so Q4_1's free
minimum m does not fit it; requantizing rounds every weight a second time and costs F1 on long prompts.
Here instead:

  Q4_1:  y = MatMulNBits(x; q, scale d, zero point z) + (x·E)·R
         z = round(-m/d) clamped to 0..15 (integer, as MatMulNBits needs), E [K, K/32] sums x over
         each block, R [K/32, N] holds each block's remainder m + z·d.
  Q8_0:  y = MatMulNBits(x; q + 128, scale d, zero point 128), 8-bit.

Both reproduce the dequantized weights bit for bit (checked per tensor). The grids are recovered from the
fp32 weights themselves: a Q4_1 block's minimum is m (q = 0) and its maximum m + 15·d; a Q8_0 block's
largest magnitude is 127·d. A tensor that is not exactly on a grid returns None.
"""
import numpy as np
from onnx import helper, numpy_helper

BLOCK = 32


def _blocks(w: np.ndarray) -> np.ndarray:
    """[K, N] MatMul weight -> [N, K/32, 32]: MatMulNBits' layout, blocks along the input dimension."""
    k, n = w.shape
    return np.ascontiguousarray(w.T.reshape(n, k // BLOCK, BLOCK))


def _fp16(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float16).astype(np.float32)


def q4_1_grid(w: np.ndarray):
    """(q uint8 [N, nb, 32], d [N, nb], m [N, nb]) with d·q + m == w exactly, or None."""
    if w.ndim != 2 or w.shape[0] % BLOCK:
        return None
    b = _blocks(w.astype(np.float32))
    m = b.min(-1)
    d = _fp16((b.max(-1) - m) / 15)
    if not np.array_equal(m, _fp16(m)):
        return None
    q = np.round((b - m[..., None]) / np.where(d == 0, 1, d)[..., None])
    if q.min() < 0 or q.max() > 15 or not np.array_equal(q * d[..., None] + m[..., None], b):
        return None
    return q.astype(np.uint8), d, m


def q8_0_grid(w: np.ndarray):
    """(q int8 [N, nb, 32], d [N, nb]) with d·q == w exactly, or None."""
    if w.ndim != 2 or w.shape[0] % BLOCK:
        return None
    b = _blocks(w.astype(np.float32))
    d = _fp16(np.abs(b).max(-1) / 127)
    q = np.round(b / np.where(d == 0, 1, d)[..., None])
    if np.abs(q).max() > 127 or not np.array_equal(q * d[..., None], b):
        return None
    return q.astype(np.int8), d


def _pack4(a: np.ndarray) -> np.ndarray:
    """uint8 values in 0..15 -> two per byte along the last axis, low nibble first (padded to even)."""
    if a.shape[-1] % 2:
        a = np.concatenate([a, np.zeros(a.shape[:-1] + (1,), np.uint8)], axis=-1)
    return (a[..., 0::2] | (a[..., 1::2] << 4)).astype(np.uint8)


def _nbits_node(name, x, out, packed, scales, zero_points, bits, k, n, accuracy_level):
    inits = [numpy_helper.from_array(packed, f"{name}.q"), numpy_helper.from_array(scales.reshape(-1), f"{name}.scales"),
             numpy_helper.from_array(zero_points.reshape(-1), f"{name}.zero_points")]
    node = helper.make_node("MatMulNBits", [x, f"{name}.q", f"{name}.scales", f"{name}.zero_points"], [out],
                            name=f"{name}.nbits", domain="com.microsoft", K=k, N=n, bits=bits,
                            block_size=BLOCK, accuracy_level=accuracy_level)
    return node, inits


def q4_1_nodes(name: str, x: str, out: str, grid, accuracy_level: int):
    """Nodes and initializers computing `out = x @ w` for w on a Q4_1 grid (see module docstring)."""
    q, d, m = grid
    n, nb, _ = q.shape
    k = nb * BLOCK
    # The integer zero point nearest -m/d centres the 4-bit part on the weights themselves, so the int8
    # rounding of the activations inside MatMulNBits meets weights as small as the real ones; the
    # remainder m + zp·d (at most d/2 where -m/d is in range) goes through the fp32 correction.
    zp = np.clip(np.round(-m / np.where(d == 0, 1, d)), 0, 15).astype(np.uint8)
    rest = m + zp.astype(np.float32) * d
    node, inits = _nbits_node(name, x, f"{name}.grid", _pack4(q), d, _pack4(zp), 4, k, n, accuracy_level)
    block_sum = np.kron(np.eye(nb, dtype=np.float32), np.ones((BLOCK, 1), np.float32))   # E: [K, nb]
    inits += [numpy_helper.from_array(block_sum, f"{name}.block_sum"),
              numpy_helper.from_array(np.ascontiguousarray(rest.T), f"{name}.minima")]
    nodes = [node,
             helper.make_node("MatMul", [x, f"{name}.block_sum"], [f"{name}.x_sums"], name=f"{name}.x_sums"),
             helper.make_node("MatMul", [f"{name}.x_sums", f"{name}.minima"], [f"{name}.offset"], name=f"{name}.offset"),
             helper.make_node("Add", [f"{name}.grid", f"{name}.offset"], [out], name=f"{name}.add")]
    return nodes, inits


def q8_0_nodes(name: str, x: str, out: str, grid, accuracy_level: int):
    """Nodes and initializers computing `out = x @ w` for w on a Q8_0 grid: one 8-bit MatMulNBits."""
    q, d = grid
    n, nb, _ = q.shape
    packed = (q.astype(np.int16) + 128).astype(np.uint8)
    zero_points = np.full((n, nb), 128, np.uint8)
    node, inits = _nbits_node(name, x, out, packed, d, zero_points, 8, nb * BLOCK, n, accuracy_level)
    return [node], inits
