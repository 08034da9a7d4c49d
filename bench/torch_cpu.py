"""torch_ref.py with CPU-time rates too: the reference MLP (40 -> 6x256 ReLU -> 256, batch 4096, Adam), 1 and 2 threads."""
import json, sys, time, torch
torch.manual_seed(0)
layers = [torch.nn.Linear(40, 256), torch.nn.ReLU()]
for _ in range(5): layers += [torch.nn.Linear(256, 256), torch.nn.ReLU()]
net = torch.nn.Sequential(*layers, torch.nn.Linear(256, 256))
opt = torch.optim.Adam(net.parameters(), 1e-3); lossf = torch.nn.CrossEntropyLoss()
x = torch.randint(0, 2, (4096, 40)).float() * 2 - 1; y = torch.randint(0, 256, (4096,))
def train(n):
    for _ in range(n):
        opt.zero_grad(); l = lossf(net(x), y); l.backward(); opt.step()
def infer(n):
    with torch.no_grad():
        for _ in range(n): net(x)
def rate(f, n):
    f(2); best = 0; cpu = 0
    for _ in range(3):
        t = time.perf_counter(); c = time.process_time(); f(n)
        best = max(best, 4096 * n / (time.perf_counter() - t)); cpu = max(cpu, 4096 * n / (time.process_time() - c))
    return round(best), round(cpu)
out = {}
for th in [1, 2]:
    torch.set_num_threads(th)
    tw, tc = rate(train, 8); iw, ic = rate(infer, 20)
    out[f"{th}t"] = {"train_sps": tw, "train_per_cpu_s": tc, "infer_sps": iw, "infer_per_cpu_s": ic}
print(json.dumps(out))
