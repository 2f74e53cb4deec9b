"""CharLens's training step in PyTorch, for comparison (src/cli/torchStep.ts).

Same step as CharLens': embedding 64 -> L LSTM layers -> dense, mean
cross-entropy, state carried across batches (truncated BPTT), global-norm
clipping at 5, Adam. Usage: torchLstmStep.py B T H L V steps rounds threads [cpu|cuda]
On cuda the LSTM is cuDNN's, with torch's default TF32 settings (reported:
torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32), and
each round ends with a synchronize.
Prints one JSON line: the median ms/step over `rounds` rounds of `steps`
steps, after warm-up steps, and torch's version, thread count and device.
"""
import json
import statistics
import sys
import time

import torch

B, T, H, L, V, steps, rounds, threads = (int(a) for a in sys.argv[1:9])
device = sys.argv[9] if len(sys.argv) > 9 else "cpu"
if device == "cuda" and not torch.cuda.is_available():
    sys.exit(f"torch {torch.__version__} finds no CUDA device here")
# Set, not left to OpenMP, which here defaults to 1 thread on a 2-core machine.
torch.set_num_threads(threads)
torch.manual_seed(1)
dev = torch.device(device)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, 64)
        self.lstm = torch.nn.LSTM(64, H, L, batch_first=True)
        self.dense = torch.nn.Linear(H, V)

    def forward(self, x, state):
        out, state = self.lstm(self.embedding(x), state)
        return self.dense(out), state


net = Net().to(dev)
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
state = (torch.zeros(L, B, H, device=dev), torch.zeros(L, B, H, device=dev))


def step():
    global state
    x = torch.randint(0, V, (B, T), device=dev)
    y = torch.randint(0, V, (B, T), device=dev)
    opt.zero_grad()
    logits, (h, c) = net(x, state)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 5)
    opt.step()
    state = (h.detach(), c.detach())


def sync():
    if device == "cuda":
        torch.cuda.synchronize()


# On cuda the first steps also pick cuDNN's algorithms and fill the allocator's cache.
for _ in range(1 if device == "cpu" else 5):
    step()
sync()
times = []
for _ in range(rounds):
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    times.append((time.perf_counter() - t0) * 1000 / steps)
info = {"msPerStep": statistics.median(times), "version": torch.__version__, "threads": torch.get_num_threads(), "device": device}
if device == "cuda":
    info["deviceName"] = torch.cuda.get_device_name(0)
    info["cudnn"] = torch.backends.cudnn.version()
    info["tf32"] = {"cudnn": torch.backends.cudnn.allow_tf32, "matmul": torch.backends.cuda.matmul.allow_tf32}
print(json.dumps(info))
