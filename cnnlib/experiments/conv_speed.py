"""How far is the from-scratch im2col `conv2d` from PyTorch's? One configuration, one thread.

Times `cnnlib.ops.conv2d` (im2col: one unfold and one matmul per image) and
`torch.nn.functional.conv2d` with `torch.utils.benchmark` (blocked_autorange), alternating
the two for several rounds so both see the same load, and reports each round's ratio and the
median. It also times the matmuls alone on columns unfolded beforehand: the floor no im2col
can go below, since the unfold costs something on top. GFLOP/s (2 per multiply-add) tell
why the floor sits where it does: F.conv2d runs oneDNN's direct convolution, the matmul runs
the BLAS sgemm (MKL), and each uses whatever vector instructions it chooses for this CPU.
Goal (issue 14): ratio <= 2 at 64 -> 64 channels, 3x3, 56x56, batch 8, one thread.
`python benchmarks/conv_speed.py --record` writes results/conv_speed_cpu.json.
"""

from __future__ import annotations

import statistics

from cnnlib.experiments import Config, Result, experiment


def run(config: Config) -> Result:
    """Alternating timing rounds of im2col conv2d, F.conv2d and the matmuls alone; the ratios."""
    import torch
    import torch.nn.functional as F
    from torch.utils import benchmark

    from cnnlib import ops
    from cnnlib.records import device_name

    torch.manual_seed(0)
    n, c, size, k, threads = (config[key] for key in ("batch", "channels", "size", "kernel",
                                                       "threads"))
    x = torch.randn(n, c, size, size)  # (N, C, H, W)
    weight = torch.randn(c, c, k, k) / (c * k * k) ** 0.5
    bias = torch.randn(c)
    padding = k // 2
    ours = ops.conv2d(x, weight, bias, padding=padding)
    torch.testing.assert_close(ours, F.conv2d(x, weight, bias, padding=padding),
                               atol=1e-4, rtol=1e-4)  # the same result before timing anything
    cols = [ops.im2col(F.pad(image, (padding,) * 4), k) for image in x.split(1)]  # (1, Ckk, L)
    w2d = weight.reshape(c, -1)  # (C_out, C*kH*kW)
    scope = dict(x=x, weight=weight, bias=bias, padding=padding, ops=ops, F=F, cols=cols, w2d=w2d)
    timers = {
        "torch": benchmark.Timer("F.conv2d(x, weight, bias, padding=padding)", globals=scope,
                                 num_threads=threads),
        "im2col": benchmark.Timer("ops.conv2d(x, weight, bias, padding=padding)", globals=scope,
                                  num_threads=threads),
        "matmul": benchmark.Timer("[w2d @ col for col in cols]", globals=scope,
                                  num_threads=threads),
    }
    flops = 2 * n * c * c * k * k * size * size  # multiply-adds of the convolution, x2
    rounds = []
    with torch.no_grad():
        for _ in range(config["rounds"]):
            times = {name: t.blocked_autorange(min_run_time=config["min_run_time"]).median
                     for name, t in timers.items()}
            rounds.append({**{k2: round(v, 6) for k2, v in times.items()},
                           "ratio": round(times["im2col"] / times["torch"], 3),
                           "floor": round(times["matmul"] / times["torch"], 3)})
    median = {name: statistics.median(r[name] for r in rounds) for name in timers}
    return {"device_name": device_name("cpu"), "rows": rounds,
            "median_ratio": statistics.median(r["ratio"] for r in rounds),
            "median_floor": statistics.median(r["floor"] for r in rounds),
            "gflops": {name: round(flops / seconds / 1e9, 1) for name, seconds in median.items()},
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "goal_ratio": 2.0}


QUICK = {"batch": 2, "channels": 16, "size": 28, "kernel": 3, "threads": 1, "rounds": 1,
         "min_run_time": 0.05, "device": "cpu"}
FULL = {"batch": 8, "channels": 64, "size": 56, "kernel": 3, "threads": 1, "rounds": 5,
        "min_run_time": 1.0, "device": "cpu"}

experiment("conv_speed_cpu", quick=QUICK, full=FULL, chapter="20_training_fast",
           about="im2col conv2d against F.conv2d, one thread, with the matmul floor")(run)
