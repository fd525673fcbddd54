"""PyTorch peer of `./kiln bench --compare-torch`.

Reads a JSON plan on stdin: {"budget": seconds, "threads": n, "rows": [row, ...]}, where a row is
{"kernel": "gemm", "name", "n"} | {"kernel": "conv", "name", "batch", "inC", "outC", "inH", "inW",
"kernel_size", "stride", "padding", "bias"} | {"kernel": "lstm", "name", "batch", "steps", "input",
"hidden"} | {"kernel": "attn", "name", "batch", "heads", "tokens", "dim"} | {"kernel": "model",
"name", "batch"}. Times each row the way Kiln's Sampler does (first call apart, warm-up, samples
until the halves' medians agree within 2% after half the budget, or the budget ends) and prints one
JSON object per row on stdout: the row's kernel, name and batch with "first" and "samples" in
seconds, or "error".
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def lenet5():
    # The same network as dev.kiln.models.LeNet5.
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
        nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def model(name):
    import torchvision.models as tv
    if name == "lenet":
        return lenet5(), (1, 32, 32)
    builders = {
        "alexnet": lambda: tv.alexnet(),
        "googlenet": lambda: tv.googlenet(aux_logits=False, init_weights=False),
        "resnet18": lambda: tv.resnet18(),
        "resnet50": lambda: tv.resnet50(),
        "vgg11": lambda: tv.vgg11(),
        "vgg16": lambda: tv.vgg16(),
    }
    if name not in builders:
        raise ValueError("no PyTorch peer for the zoo model '" + name + "'")
    return builders[name](), (3, 224, 224)


def workload(row, g):
    k = row["kernel"]
    if k == "gemm":
        n = row["n"]
        a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
        return lambda: torch.matmul(a, b)
    if k == "conv":
        x = torch.randn(row["batch"], row["inC"], row["inH"], row["inW"], generator=g)
        ks = row["kernel_size"]
        w = torch.randn(row["outC"], row["inC"], ks, ks, generator=g)
        bias = torch.randn(row["outC"], generator=g) if row["bias"] else None
        return lambda: F.conv2d(x, w, bias, stride=row["stride"], padding=row["padding"])
    if k == "lstm":
        lstm = nn.LSTM(row["input"], row["hidden"], 1).eval()
        x = torch.randn(row["steps"], row["batch"], row["input"], generator=g)
        return lambda: lstm(x)
    if k == "attn":
        shape = (row["batch"], row["heads"], row["tokens"], row["dim"])
        q, kk, v = (torch.randn(*shape, generator=g) for _ in range(3))
        scale = row["dim"] ** -0.5

        def attention():
            p = torch.softmax(torch.matmul(q, kk.transpose(-2, -1)) * scale, dim=-1)
            return torch.matmul(p, v)
        return attention
    if k == "model":
        net, image = model(row["name"])
        net.eval()
        x = torch.randn(row["batch"], *image, generator=g)
        return lambda: net(x)
    if k == "train":
        net, image = model(row["name"].removesuffix(" train"))
        net.train()
        x = torch.randn(row["batch"], *image, generator=g)
        classes = net(x).shape[-1]
        targets = (torch.arange(row["batch"]) * 7919 + 17) % classes
        opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)

        def step():
            loss = F.cross_entropy(net(x), targets)
            loss.backward()
            opt.step()
            opt.zero_grad()
        return step
    raise ValueError("unknown kernel " + k)


def median(xs):
    s = sorted(xs)
    mid = (len(s) - 1) / 2
    return (s[int(mid)] + s[int(mid + 0.5)]) / 2


def measure(fn, budget):
    def timed():
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    start = time.perf_counter()
    first = timed()
    warm_budget = budget / 4
    min_warm = 0 if first > budget else 1 if first > warm_budget else 2
    warm_start = time.perf_counter()
    i = 0
    while i < min_warm or (min_warm > 0 and time.perf_counter() - warm_start < warm_budget):
        timed()
        i += 1
        if time.perf_counter() - start > budget and i >= min_warm:
            break
    samples = []
    while len(samples) < 1000:
        samples.append(timed())
        n = len(samples)
        elapsed = time.perf_counter() - start
        if n >= 10 and elapsed >= budget / 2:
            half = n // 2
            older, newer = median(samples[:half]), median(samples[n - half:])
            if abs(older - newer) <= 0.02 * min(older, newer):
                break
        if n >= 5 and elapsed > budget:
            break
        if n >= 3 and elapsed > 2 * budget:
            break
    return first, samples


def main():
    plan = json.load(sys.stdin)
    torch.set_num_threads(plan["threads"])
    g = torch.Generator().manual_seed(1234)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for row in plan["rows"]:
        out = {"kernel": row["kernel"], "name": row["name"], "batch": row.get("batch", 1)}
        # inference rows run without autograd, as Kiln's do; training rows need it
        with torch.inference_mode(row["kernel"] != "train"):
            try:
                first, samples = measure(workload(row, g), plan["budget"])
                out.update(first=first, samples=samples)
            except Exception as e:  # a row that fails is reported, the rest still run
                out["error"] = type(e).__name__ + ": " + str(e)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
