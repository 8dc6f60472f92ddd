"""PyTorch on the CPU for `pnpm bench:cpu`: the child protocol of bench/cpu/child.ts
(one JSON request per stdin line, one `@@bench {json}` reply per stdout line).

Run with Debian's /usr/bin/python3 (python3-torch); run.ts starts it with
`--threads N` and without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in its environment.
"""
import json
import math
import sys
import time

TAG = "@@bench "


def send(reply):
    sys.stdout.write(TAG + json.dumps(reply) + "\n")
    sys.stdout.flush()


try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # the orchestrator prints the reason and skips the column
    send({"type": "skip", "reason": f"cannot import: {e}"})
    sys.exit(0)


def bits(seed, n):
    """Port of workloads.ts: lowbias32(seed * 0x9E3779B9 + i mod 2**32)."""
    x = ((np.arange(n, dtype=np.uint64) + ((seed * 0x9E3779B9) & 0xFFFFFFFF)) & 0xFFFFFFFF).astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x


def uniform(shape, seed, scale=1.0):
    n = math.prod(shape)
    v = ((bits(seed, n).astype(np.float64) / 4294967296.0) * 2 - 1) * scale
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def matmul_cell(w):
    a_shape = [w["k"], w["m"]] if w["transA"] else [w["m"], w["k"]]
    b_shape = [w["n"], w["k"]] if w["transB"] else [w["k"], w["n"]]
    a, b = uniform(a_shape, 1), uniform(b_shape, 2)
    op_a = a.t() if w["transA"] else a
    op_b = b.t() if w["transB"] else b

    def step():
        torch.matmul(op_a, op_b)

    return step, torch.matmul(op_a, op_b).double().abs().sum().item()


def train_cell(w):
    nn = torch.nn
    if w["kind"] == "mlp":
        widths = w.get("widths") or [784, 256, 128, 10]
        layers = []
        for i in range(len(widths) - 1):
            layers.append(nn.Linear(widths[i], widths[i + 1]))
            if i < len(widths) - 2:
                layers.append(nn.ReLU())
        model = nn.Sequential(*layers)
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
        )
    with torch.no_grad():
        for p, spec in zip(model.parameters(), w["params"], strict=True):
            p.copy_(uniform(spec["shape"], spec["seed"], 1 / math.sqrt(spec["fanIn"])))
    x = uniform(w["inputShape"], w["inputSeed"])
    y = torch.from_numpy((bits(w["labelSeed"], w["inputShape"][0]) % w["classes"]).astype(np.int64))
    if w.get("optimizer") == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=w["lr"])
    else:
        opt = torch.optim.SGD(model.parameters(), lr=w["lr"])
    last = [math.nan]

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        last[0] = loss.item()

    step()
    return step, last[0]


def depthwise_cell(w):
    """Depthwise conv2d (groups = C) forward, then y.backward(dy) for both gradients."""
    if w.get("perGroup"):
        raise RuntimeError("nerve only: the same work as the row without (per-group path)")
    n, c, h, wd = w["inputShape"]
    s, p = w["stride"], w["padding"]
    out = [n, c, (h + 2 * p - 3) // s + 1, (wd + 2 * p - 3) // s + 1]
    x = uniform(w["inputShape"], w["inputSeed"]).requires_grad_()
    k = uniform([c, 1, 3, 3], w["weightSeed"], 1 / 3).requires_grad_()
    dy = uniform(out, w["gradSeed"])

    def step():
        x.grad = None
        k.grad = None
        F.conv2d(x, k, stride=s, padding=p, groups=c).backward(dy)

    with torch.no_grad():
        check = (F.conv2d(x, k, stride=s, padding=p, groups=c) * dy).double().sum().item()
    return step, check


def warm_up(step):
    t0 = time.perf_counter()
    i, last = 0, 0.0
    while i < 1 or (time.perf_counter() - t0 < 0.2 and i < 50):
        t = time.perf_counter()
        step()
        last = time.perf_counter() - t
        i += 1
    return last


def measure(step, seconds, step_seconds):
    if step_seconds < seconds / 4:
        step()  # untimed: the caches hold another library's work
    steps, t0, elapsed = 0, time.perf_counter(), 0.0
    while steps < 1 or elapsed < seconds:
        step()
        steps += 1
        elapsed = time.perf_counter() - t0
    return steps, elapsed


def blas_library():
    """The BLAS that torch's CPU matmul went through (Debian's torch links libblas.so.3)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1]}
    except OSError:
        return "unknown"
    # /usr/lib/<arch>/blas/ is the netlib reference BLAS (package libblas3), far slower than OpenBLAS.
    return ", ".join(sorted(p + (" (reference BLAS)" if "/blas/libblas" in p else "") for p in paths)) or "none"


def main():
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
    torch.set_num_threads(threads)
    send({"type": "hello", "info": f"torch {torch.__version__} ({sys.executable}), {torch.get_num_threads()} thread(s), BLAS {blas_library()}"})
    cells, step_seconds = {}, {}
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        w, seconds = req["workload"], req["seconds"]
        name = w["name"]
        try:
            if name not in cells:
                try:
                    make = {"matmul": matmul_cell, "depthwise": depthwise_cell}.get(w["kind"], train_cell)
                    cells[name] = make(w)
                    step_seconds[name] = warm_up(cells[name][0])
                except Exception as e:  # noqa: BLE001 - reported in the table, as the JS children do
                    cells[name] = e
            cell = cells[name]
            if isinstance(cell, Exception):
                raise cell
            step, check = cell
            steps, elapsed = measure(step, seconds, step_seconds.get(name, 0.0))
            step_seconds[name] = elapsed / steps
            per_second = steps / elapsed
            is_matmul = w["kind"] == "matmul"
            reply = {
                "type": "result",
                "workload": name,
                "value": 2 * w["m"] * w["k"] * w["n"] * per_second / 1e9 if is_matmul else per_second,
                "unit": "GFLOP/s" if is_matmul else "steps/s",
                "steps": steps,
                "seconds": elapsed,
            }
            if check is not None:
                reply["check"] = check
            send(reply)
        except Exception as e:  # noqa: BLE001
            send({"type": "error", "workload": name, "message": str(e).splitlines()[0] if str(e) else repr(e)})


if __name__ == "__main__":
    main()
