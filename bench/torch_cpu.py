"""torch_ref.py with CPU-time rates too: the reference MLP (40 -> 6x256 ReLU -> 256, batch 4096, Adam), 1 and 2 threads.

`python3 bench/torch_cpu.py cuda` runs the same MLP on the GPU instead (bench/gpu-check.sh) and prints {"cuda": {...}}."""
import json, sys, time, torch
torch.manual_seed(0)
dev = sys.argv[1] if len(sys.argv) > 1 else 'cpu'
sync = torch.cuda.synchronize if dev == 'cuda' else (lambda: None)
layers = [torch.nn.Linear(40, 256), torch.nn.ReLU()]
for _ in range(5): layers += [torch.nn.Linear(256, 256), torch.nn.ReLU()]
net = torch.nn.Sequential(*layers, torch.nn.Linear(256, 256)).to(dev)
opt = torch.optim.Adam(net.parameters(), 1e-3); lossf = torch.nn.CrossEntropyLoss()
x = (torch.randint(0, 2, (4096, 40)).float() * 2 - 1).to(dev); y = torch.randint(0, 256, (4096,)).to(dev)
def train(n):
    for _ in range(n):
        opt.zero_grad(); l = lossf(net(x), y); l.backward(); opt.step()
def infer(n):
    with torch.no_grad():
        for _ in range(n): net(x)
def rate(f, n):
    f(2); best = 0; cpu = 0
    for _ in range(3):
        sync(); t = time.perf_counter(); c = time.process_time(); f(n); sync()
        best = max(best, 4096 * n / (time.perf_counter() - t)); cpu = max(cpu, 4096 * n / (time.process_time() - c))
    return round(best), round(cpu)
out = {}
if dev == 'cuda':
    tw, tc = rate(train, 200); iw, ic = rate(infer, 500)
    print(json.dumps({"cuda": {"train_sps": tw, "infer_sps": iw, "device": torch.cuda.get_device_name(0)}}))
    sys.exit(0)
for th in [1, 2]:
    torch.set_num_threads(th)
    tw, tc = rate(train, 8); iw, ic = rate(infer, 20)
    out[f"{th}t"] = {"train_sps": tw, "train_per_cpu_s": tc, "infer_sps": iw, "infer_per_cpu_s": ic}
print(json.dumps(out))
