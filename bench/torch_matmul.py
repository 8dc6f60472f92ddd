"""cuBLAS float32 (TF32 off) matmul GFLOP/s and MLP training steps/s, the
baseline printed next to bench/webgpu.ts on the GPU machine."""
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
model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)).to(dev)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x = torch.randn(128, 784, device=dev); y = torch.randint(0, 10, (128,), device=dev)
steps = 0; t0 = time.perf_counter()
while time.perf_counter() - t0 < 3.0:
    loss = torch.nn.functional.cross_entropy(model(x), y); opt.zero_grad(); loss.backward(); opt.step(); loss.item(); steps += 1
print(f"torch MLP 784-256-128-10 b128: {steps/(time.perf_counter()-t0):.0f} steps/s (loss read every step)")
