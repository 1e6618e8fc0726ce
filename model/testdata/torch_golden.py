"""Writes lg_golden.json: the torch_ref line-graph interaction network (the
PyTorch peer in /work/shared/peers/torch_ref, lgin.py) with fixed weights on a
small hand-made frame, for model.TestTorchGolden.

Regenerate (needs python3-torch, python3-numpy):
    /usr/bin/python3 model/testdata/torch_golden.py [path/to/torch_ref]

The angle encoding is computed as pcttrack does: sqrt(theta) quantised to
bins of 2^-14, the sin/cos features evaluated in float64 and rounded to
float32, so both sides see identical inputs.
"""
import json
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/work/shared/peers/torch_ref")
import lgin  # noqa: E402

BIN = 2.0 ** -14
torch.manual_seed(3)
rng = np.random.default_rng(7)

# Hits: 6 tracks through 5 layers (layer 0 upstream), plus two noise hits;
# sorted deepest layer first, as the graph package does.
zs = [0.0, 52.4, 104.8, 110.3, 115.8]
hits = []
for ev in range(6):
    x, y = rng.normal(0, 6, 2)
    sx, sy = rng.normal(0, 0.01, 2)
    for k, z in enumerate(zs):
        hits.append((k, x + sx * z + rng.normal(0, 0.3), y + sy * z + rng.normal(0, 0.3), z,
                     float(rng.uniform(0.01, 0.2)), ev))
hits.append((3, 2.0, -1.0, zs[3], 0.05, 100))
hits.append((1, -3.0, 4.0, zs[1], 0.03, 101))
hits.sort(key=lambda h: (-h[0], h[1]))
layer = np.array([h[0] for h in hits])
pos = torch.tensor([[h[1], h[2], h[3]] for h in hits], dtype=torch.float32)
edep = torch.tensor([h[4] for h in hits], dtype=torch.float32)
event = [h[5] for h in hits]

# Segments: every hit to its 3 nearest hits one layer up, sorted (src, dst).
src, dst = [], []
for a in range(len(hits)):
    up = [b for b in range(len(hits)) if layer[b] == layer[a] - 1]
    up.sort(key=lambda b: float(((pos[a, :2] - pos[b, :2]) ** 2).sum()))
    for b in sorted(up[:3]):
        src.append(a)
        dst.append(b)
hg_src, hg_dst = torch.tensor(src), torch.tensor(dst)

x, rows, cols, theta = lgin.line_graph_topology(pos, edep, hg_src, hg_dst, len(hits))
# Edges sorted by (dst, src) like graph.LineGraph; PyG semantics do not
# depend on the order.
order = np.lexsort((rows.numpy(), cols.numpy()))
rows, cols, theta = rows[order], cols[order], theta[order].float()
th32 = theta.numpy().astype(np.float32)
bins = np.floor(np.sqrt(th32.astype(np.float64)) / BIN + 0.5)
freqs = np.exp(np.arange(0, 128, 2) * (-math.log(1e-3) / 128))
arg = (bins * BIN)[:, None] * freqs[None, :]
enc = np.stack((np.sin(arg), np.cos(arg)), axis=2).reshape(len(th32), 128).astype(np.float32)
g = lgin.LineGraph(x, rows, cols, theta, torch.from_numpy(enc))

model = lgin.LineGraphIN()
with torch.no_grad():
    for name, p in model.named_parameters():
        if p.dim() == 1 and "weight" in name and isinstance(dict(model.named_modules())[name.rsplit(".", 1)[0]], torch.nn.BatchNorm1d):
            p.copy_(torch.empty_like(p).uniform_(0.5, 1.5))
        elif p.dim() == 1 and isinstance(dict(model.named_modules())[name.rsplit(".", 1)[0]], torch.nn.BatchNorm1d):
            p.copy_(torch.randn_like(p) * 0.1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.copy_(torch.randn_like(m.running_mean) * 0.2)
            m.running_var.copy_(torch.empty_like(m.running_var).uniform_(0.5, 2.0))
    # The first batch norms see raw mm: give them the data's statistics, as
    # after training, so the evaluation-mode activations stay moderate.
    msg_in = torch.cat((x[cols], x[rows], g.edge_attr), dim=1)
    model.message_mlp[0].running_mean.copy_(msg_in.mean(0))
    model.message_mlp[0].running_var.copy_(msg_in.var(0) + 0.1)
    model.update_mlp[0].running_mean[:8] = x.mean(0)
    model.update_mlp[0].running_var[:8] = x.var(0) + 0.1

# torch_ref names -> pcttrack names (the original code's R1/O/R2 layers).
def ours(name):
    return name.replace("message_mlp.", "R1.layers.").replace("update_mlp.", "O.layers.").replace("readout_mlp.", "R2.layers.")

state0 = {ours(k): v.detach().clone() for k, v in model.state_dict().items() if "num_batches" not in k}

model.eval()
with torch.no_grad():
    logits_eval = model(g)
model.train()
logits = model(g)
labels = torch.tensor([1.0 if event[a] == event[b] else 0.0 for a, b in zip(src, dst)])
near = torch.tensor([bool(layer[a] < 3 or layer[b] < 3) for a, b in zip(src, dst)])
loss = lgin.ptt_loss(logits, labels, near)
loss.backward()

out = {
    "hits": [{"layer": int(h[0]), "x": float(np.float32(h[1])), "y": float(np.float32(h[2])),
              "z": float(np.float32(h[3])), "edep": float(np.float32(h[4])), "event": int(h[5])} for h in hits],
    "seg_src": src, "seg_dst": dst,
    "lg_src": rows.tolist(), "lg_dst": cols.tolist(), "lg_angle": [float(t) for t in th32],
    "state": {k: v.flatten().tolist() for k, v in state0.items()},
    "logits_eval": logits_eval.tolist(),
    "logits_train": logits.detach().tolist(),
    "loss": float(loss),
    "grads": {ours(k): p.grad.flatten().tolist() for k, p in model.named_parameters()},
    "running_after": {ours(k): v.flatten().tolist() for k, v in model.state_dict().items() if "running" in k},
}


def f32(v):
    """Shortest decimal text that reads back as the same float32."""
    if isinstance(v, list):
        return [f32(u) for u in v]
    if isinstance(v, dict):
        return {k: f32(u) for k, u in v.items()}
    if isinstance(v, float):
        return float(np.format_float_positional(np.float32(v), unique=True, trim="-"))
    return v


with open(__file__.rsplit("/", 1)[0] + "/lg_golden.json", "w") as f:
    json.dump({k: f32(v) if k not in ("seg_src", "seg_dst", "lg_src", "lg_dst") else v for k, v in out.items()}, f, separators=(",", ":"))
print("segments", len(src), "line-graph edges", len(rows), "loss", float(loss))
