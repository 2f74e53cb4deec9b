"""The CPU benchmark's training step in PyTorch, for comparison (src/cli/benchTrainCpu.ts).

Same step as CharLens': embedding 64 -> L LSTM layers -> dense, mean
cross-entropy, state carried across batches (truncated BPTT), global-norm
clipping at 5, Adam. Usage: torchLstmStep.py B T H L V steps rounds threads
Prints one JSON line: the median ms/step over `rounds` rounds of `steps`
steps, after one warm-up step, and torch's version and thread count.
"""
import json
import statistics
import sys
import time

import torch

B, T, H, L, V, steps, rounds, threads = (int(a) for a in sys.argv[1:9])
# Set, not left to OpenMP, which here defaults to 1 thread on a 2-core machine.
torch.set_num_threads(threads)
torch.manual_seed(1)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, 64)
        self.lstm = torch.nn.LSTM(64, H, L, batch_first=True)
        self.dense = torch.nn.Linear(H, V)

    def forward(self, x, state):
        out, state = self.lstm(self.embedding(x), state)
        return self.dense(out), state


net = Net()
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
state = (torch.zeros(L, B, H), torch.zeros(L, B, H))


def step():
    global state
    x = torch.randint(0, V, (B, T))
    y = torch.randint(0, V, (B, T))
    opt.zero_grad()
    logits, (h, c) = net(x, state)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 5)
    opt.step()
    state = (h.detach(), c.detach())


step()
times = []
for _ in range(rounds):
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    times.append((time.perf_counter() - t0) * 1000 / steps)
print(json.dumps({"msPerStep": statistics.median(times), "version": torch.__version__, "threads": torch.get_num_threads()}))
