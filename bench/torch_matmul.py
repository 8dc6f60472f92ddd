"""cuBLAS float32 (TF32 off) matmul and GEMV GFLOP/s, and training steps/s of
the digits MLP and the small CNN (cuDNN, TF32 off), the baseline printed next
to bench/webgpu.ts on the GPU machine (same shapes, same row names)."""
import time, torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = "cuda"
shapes = [(s, s, s) for s in (256, 512, 1024, 2048, 4096)] + [
    (64, 784, 1024), (128, 784, 256), (256, 1024, 1024), (512, 4096, 4096), (512, 784, 4096)]
print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}")
for m, k, n in shapes:
    a = torch.randn(m, k, device=dev); b = torch.randn(k, n, device=dev)
    for _ in range(3): a @ b
    torch.cuda.synchronize(); reps = 0; t0 = time.perf_counter()
    while time.perf_counter() - t0 < 1.0:
        a @ b; reps += 1
    torch.cuda.synchronize(); dt = time.perf_counter() - t0
    print(f"cuBLAS matmul {m}x{k}.{k}x{n}: {2*m*k*n*reps/dt/1e9:.0f} GFLOP/s")
# x @ W.T with W [n, k] (PyTorch's Linear layout): bench/webgpu.ts's gemv rows.
for m, k, n in [(1, 768, 768), (1, 4096, 4096), (4, 4096, 4096), (1, 11008, 2048), (1, 1024, 16384)]:
    a = torch.randn(m, k, device=dev); w = torch.randn(n, k, device=dev)
    for _ in range(3): a @ w.T
    torch.cuda.synchronize(); reps = 0; t0 = time.perf_counter()
    while time.perf_counter() - t0 < 1.0:
        a @ w.T; reps += 1
    torch.cuda.synchronize(); dt = time.perf_counter() - t0
    print(f"cuBLAS gemv {m}x{k}.({n}x{k})T: {2*m*k*n*reps/dt/1e9:.0f} GFLOP/s")
model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)).to(dev)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x = torch.randn(128, 784, device=dev); y = torch.randint(0, 10, (128,), device=dev)
steps = 0; t0 = time.perf_counter()
while time.perf_counter() - t0 < 3.0:
    loss = torch.nn.functional.cross_entropy(model(x), y); opt.zero_grad(); loss.backward(); opt.step(); loss.item(); steps += 1
print(f"torch MLP 784-256-128-10 b128: {steps/(time.perf_counter()-t0):.0f} steps/s (loss read every step)")

def steps_per_s(model, x, y, seconds=3.0):
    """SGD steps/s with the loss read back every step, as bench/webgpu.ts does."""
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    def step():
        loss = torch.nn.functional.cross_entropy(model(x), y); opt.zero_grad(); loss.backward(); opt.step(); return loss.item()
    for _ in range(3): step()
    steps = 0; t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step(); steps += 1
    return steps / (time.perf_counter() - t0)

nn = torch.nn
for b in (64, 256):
    cnn = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(32 * 7 * 7, 10)).to(dev)
    x = torch.randn(b, 1, 28, 28, device=dev); y = torch.randint(0, 10, (b,), device=dev)
    print(f"torch CNN c16-c32-d10 b{b}: {steps_per_s(cnn, x, y):.0f} steps/s (loss read every step)")
