#!/usr/bin/env python3
"""Writes the small .npy feeds the examples are evaluated on (README, CI). Plain Python: no NumPy needed.

Run from anywhere: python3 examples/data/make_data.py
"""
import math
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, descr, shape, values, also=None):
    fmt = {"<f4": "f", "<i4": "i"}[descr]
    shape_txt = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_txt)
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * (pad % 64) + "\n"
    data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1")
    data += struct.pack("<%d%s" % (len(values), fmt), *values)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    if also:
        # `descent train --data DIR` reads DIR/INPUT.npy: the same data, one directory per model.
        os.makedirs(os.path.join(HERE, os.path.dirname(also)), exist_ok=True)
        with open(os.path.join(HERE, also), "wb") as f:
            f.write(data)


rng = random.Random(7)

# logreg: 8 points with 4 features; label 1 when the features sum above 0.
x = [round(rng.uniform(-1, 1), 3) for _ in range(8 * 4)]
y = [1.0 if sum(x[4 * i:4 * i + 4]) > 0 else 0.0 for i in range(8)]
save("logreg_x.npy", "<f4", (8, 4), x, "logreg/x.npy")
save("logreg_y.npy", "<f4", (8, 1), y, "logreg/y.npy")

# mlp: 12 points of a 3-armed spiral.
xs, labels = [], []
for i in range(12):
    arm, t = i % 3, (i // 3 + 1) / 4.0
    angle = arm * 2 * math.pi / 3 + t * 2.5
    xs += [round(t * math.cos(angle), 4), round(t * math.sin(angle), 4)]
    labels.append(arm)
save("mlp_x.npy", "<f4", (12, 2), xs, "mlp/x.npy")
save("mlp_labels.npy", "<i4", (12,), labels, "mlp/labels.npy")

# autoencoder: 6 samples of 8 features.
save("autoencoder_x.npy", "<f4", (6, 8), [round(rng.gauss(0, 1), 3) for _ in range(6 * 8)], "autoencoder/x.npy")

# embedding: 10 (user, item, rating) triples; ids repeat on purpose.
save("embedding_user.npy", "<i4", (10,), [rng.randrange(50) for _ in range(10)][:7] + [3, 3, 3], "embedding/user.npy")
save("embedding_item.npy", "<i4", (10,), [rng.randrange(40) for _ in range(10)][:8] + [5, 5], "embedding/item.npy")
save("embedding_rating.npy", "<f4", (10,), [float(rng.randint(1, 5)) for _ in range(10)], "embedding/rating.npy")
