"""PyTorch's side of `pnpm bench:resnet`: torchvision's resnet18 forward + backward on the CPU,
speaking bench/resnet/protocol.ts's protocol (one JSON request per stdin line, one
`@@bench {json}` reply per stdout line).

Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision) and `--threads N`;
run.ts starts it with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS = N as bench/cpu does.
"""
import json
import math
import os
import resource
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
    import torchvision
except ImportError as e:  # the orchestrator prints the reason and skips the column
    send({"type": "skip", "reason": f"cannot import: {e}"})
    sys.exit(0)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cpu"))
from torch_cpu import bits, uniform  # noqa: E402  (the NumPy port of workloads.ts's generator)


def initial_value(name, shape, index):
    """protocol.ts's initialValue."""
    if len(shape) >= 2:
        return uniform(list(shape), 1000 + index, 1 / math.sqrt(math.prod(shape[1:])))
    return torch.full(tuple(shape), 1.0 if name.endswith(".weight") else 0.0)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def max_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def main():
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else torch.get_num_threads()
    torch.set_num_threads(threads)
    setup = json.loads(sys.argv[sys.argv.index("--setup") + 1])
    batch, size, classes = setup["batch"], setup["size"], setup["classes"]
    model = torchvision.models.resnet18(weights=None, num_classes=classes)
    named = sorted(model.named_parameters(), key=lambda kv: kv[0])
    with torch.no_grad():
        for i, (name, p) in enumerate(named):
            p.copy_(initial_value(name, p.shape, i))
    model.train()
    x = uniform([batch, 3, size, size], setup["inputSeed"])
    y = torch.from_numpy((bits(setup["labelSeed"], batch) % classes).astype(np.int64))
    rss_before = rss_bytes()

    def step():
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        model.zero_grad(set_to_none=True)
        return loss.item()

    first = step()
    params = sum(p.numel() for p in model.parameters())
    mkldnn = torch.backends.mkldnn.is_available()
    send({
        "type": "hello",
        "info": f"torch {torch.__version__}, torchvision {torchvision.__version__} ({sys.executable}), "
        f"{torch.get_num_threads()} thread(s), oneDNN {'on' if mkldnn else 'off'}",
        "params": params,
        "firstLoss": first,
    })
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            if req["cmd"] == "steps":
                seconds = []
                for _ in range(req["n"]):
                    t0 = time.perf_counter()
                    step()
                    seconds.append(time.perf_counter() - t0)
                send({"type": "steps", "seconds": seconds})
            else:
                step()
                send({"type": "peak", "memory": {"rssBefore": rss_before, "rss": rss_bytes(), "maxRss": max_rss_bytes()}})
        except Exception as e:  # noqa: BLE001 - reported by the orchestrator
            send({"type": "error", "message": str(e).splitlines()[0] if str(e) else repr(e)})


if __name__ == "__main__":
    main()
