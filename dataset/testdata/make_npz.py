#!/usr/bin/python3
"""Generate the small .npz/.npy fixtures of the dataset package tests.

Run from this directory with Debian's numpy (apt-get install python3-numpy):
    /usr/bin/python3 make_npz.py

It writes GATE-like hit tables (structured arrays as the paper's Zenodo files
hold them) in three layer-numbering variants, and expected.json: the result
of the paper's pipeline (layer index, remove_disconnected, merge per
(eventID, trackID, z) with sum edep / mean pos / first of the rest, cluster
size, frames of N events per spot, cs >= 2 cut) computed here independently
of the Go code. The output is deterministic (fixed seed).
"""
import json
import math

import numpy as np

N_PER_FRAME = 3
EPI = 0.025  # mm
SPOTS = [(0.0, 0.0), (5.0, -3.0)]
EVENTS_PER_SPOT = 7  # 2 full frames of 3, 1 leftover event per spot
FAR_LAYER = 14  # a lone secondary behind a gap of empty layers


def make_rows(rng):
    """Raw hits in GATE order: events contiguous, steps shuffled inside."""
    rows = []
    ev = 0
    for sx, sy in SPOTS:
        for _ in range(EVENTS_PER_SPOT):
            ev += 10 + int(rng.integers(0, 3))  # sparse, increasing event ids
            hits = []
            last = int(rng.integers(4, 10))
            x0, y0 = sx + rng.normal(0, 2), sy + rng.normal(0, 2)
            for z in range(last + 1):
                e = float(rng.uniform(0.03, 0.2))
                k = int(rng.integers(1, 3))  # raw hits to merge
                for j in range(k):
                    hits.append((ev, 1, 0, 2212, e / k, x0 + 0.1 * z + 0.01 * j, y0 - 0.05 * z, 3.5 * z + 0.001 * j, z, sx, sy))
            # a secondary electron, sometimes below the cs threshold
            z = int(rng.integers(0, last + 1))
            e = 0.002 if rng.uniform() < 0.5 else 0.05
            hits.append((ev, 2, 1, 11, e, x0 + 1, y0 + 1, 3.5 * z, z, sx, sy))
            rng.shuffle(hits)
            rows.extend(hits)
    # one lone far hit behind a gap; it also splits the first event into two runs
    e0 = rows[0][0]
    rows.append((e0, 3, 1, 22, 0.04, 1.0, 1.0, 3.5 * FAR_LAYER, FAR_LAYER, SPOTS[0][0], SPOTS[0][1]))
    return rows


def ids(z, scheme):
    if scheme == "v92-volume":
        vid = [0, 1, 0 if z < 2 else 1, z if z < 2 else z - 2, 3, -1, -1, -1, -1, -1]
        return {"volumeID": vid}
    if scheme == "v92-level":
        return {"level1ID": z if z < 2 else 0, "level2ID": -1 if z < 2 else z - 2}
    return {"baseID": 1 if z < 2 else 2, "level1ID": z if z < 2 else z - 2}


def to_array(rows, scheme, with_spot):
    fields = [("eventID", "<i4"), ("trackID", "<i4"), ("parentID", "<i4"), ("PDGEncoding", "<i4"),
              ("edep", "<f4"), ("posX", "<f4"), ("posY", "<f4"), ("posZ", "<f4"), ("time", "<f8")]
    if scheme == "v92-volume":
        fields.append(("volumeID", "<i4", (10,)))
    elif scheme == "v92-level":
        fields += [("level1ID", "<i4"), ("level2ID", "<i4")]
    else:
        fields += [("baseID", "<i4"), ("level1ID", "<i4")]
    if with_spot:
        fields += [("spotX", "<f8"), ("spotY", "<f8")]
    fields.append(("processName", "S16"))
    a = np.zeros(len(rows), dtype=fields)
    for i, (ev, tr, par, pdg, e, x, y, zpos, z, sx, sy) in enumerate(rows):
        a[i]["eventID"], a[i]["trackID"], a[i]["parentID"], a[i]["PDGEncoding"] = ev, tr, par, pdg
        a[i]["edep"], a[i]["posX"], a[i]["posY"], a[i]["posZ"] = e, x, y, zpos
        a[i]["time"] = 1e-9 * i
        for k, v in ids(z, scheme).items():
            a[i][k] = v
        if with_spot:
            a[i]["spotX"], a[i]["spotY"] = sx, sy
        a[i]["processName"] = b"hIoni" if tr == 1 else b"eIoni"
    return a


def cluster_size(edep):
    return int(4.2267 * (edep * 1000.0 / (EPI * 1000.0)) ** 0.65 + 0.5)


def pipeline(a, with_spot, paper):
    """The paper's pipeline on the structured array, in plain Python."""
    z = []
    for r in a:
        if "volumeID" in a.dtype.names:
            z.append(2 * int(r["volumeID"][2]) + int(r["volumeID"][3]))
        elif "baseID" in a.dtype.names:
            z.append((0 if r["baseID"] == 1 else 2) + int(r["level1ID"]))
        else:
            z.append(int(r["level1ID"]) if r["level2ID"] == -1 else 2 + int(r["level2ID"]))
    uz = sorted(set(z))
    missing = [k for k in range(uz[0], uz[-1] + 1) if k not in uz]
    keep = [True] * len(a)
    if paper:
        occ = [i for i in range(len(uz) - 1) if uz[i + 1] - uz[i] - 1 > 0]
        if occ:
            keep = [zz < occ[0] for zz in z]  # the off-by-one: index, not layer
    groups = {}
    for i, r in enumerate(a):
        if not keep[i]:
            continue
        k = (int(r["eventID"]), int(r["trackID"]), z[i])
        g = groups.setdefault(k, {"e": 0.0, "x": 0.0, "y": 0.0, "z": 0.0, "n": 0, "first": i})
        g["e"] += float(r["edep"])
        g["x"] += float(r["posX"])
        g["y"] += float(r["posY"])
        g["z"] += float(r["posZ"])
        g["n"] += 1
    merged = sorted(groups.items())
    ev_spot = {}
    for (ev, tr, zz), g in merged:
        r = a[g["first"]]
        sp = (float(r["spotX"]), float(r["spotY"])) if with_spot else (0.0, 0.0)
        if ev not in ev_spot or g["first"] < ev_spot[ev][1]:
            ev_spot[ev] = (sp, g["first"])
    frames, leftover = [], 0
    for sp in sorted(set(s for s, _ in ev_spot.values())):
        evs = sorted(e for e, (s, _) in ev_spot.items() if s == sp)
        nfull = len(evs) // N_PER_FRAME * N_PER_FRAME
        leftover += len(evs) - nfull
        for k in range(0, nfull, N_PER_FRAME):
            block = set(evs[k:k + N_PER_FRAME])
            hits = []
            for (ev, tr, zz), g in merged:
                if ev not in block:
                    continue
                cs = cluster_size(g["e"])
                if cs < 2:
                    continue
                r = a[g["first"]]
                n = g["n"]
                hits.append([ev, tr, zz, int(r["parentID"]), int(r["PDGEncoding"]), cs,
                             float(np.float32(g["e"])), float(np.float32(g["x"] / n)),
                             float(np.float32(g["y"] / n)), float(np.float32(g["z"] / n))])
            frames.append({"spot": list(sp), "hits": hits})
    return {"merged": len(merged), "leftover": leftover, "missing_layers": missing, "frames": frames}


def main():
    rng = np.random.default_rng(7)
    rows = make_rows(rng)
    expected = {}
    specs = [("hits_v92_volume.npz", "v92-volume", False, "savez_compressed"),
             ("hits_v92_level.npz", "v92-level", True, "savez"),
             ("hits_v91.npy", "v91", True, "npy_v2")]
    for name, scheme, spot, how in specs:
        a = to_array(rows, scheme, spot)
        if how == "savez_compressed":
            np.savez_compressed(name, a)
        elif how == "savez":
            np.savez(name, a)
        else:
            with open(name, "wb") as f:
                np.lib.format.write_array(f, a, version=(2, 0))
        want = {"default": pipeline(a, spot, False), "paper": pipeline(a, spot, True)}
        for other, w in expected.items():  # store identical results once
            if w.get("want") == want:
                want = {"same_as": other}
                break
        expected[name] = {"scheme": scheme, "want": want}
    with open("expected.json", "w") as f:
        json.dump(expected, f, separators=(",", ":"), sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
