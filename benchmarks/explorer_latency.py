"""How fast the explorer answers: an image update, a traversal grid and an encode, in ms.

    python benchmarks/explorer_latency.py RUN_DIR [--requests 50]

Calls the explorer's API in this process (Starlette's test client: the server's work and
the HTTP handling, no network), the same request repeated with a new code value each time,
and prints one JSON object: the median and 90th-percentile milliseconds of each request
kind, measured around the whole request.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time

from PIL import Image
from starlette.testclient import TestClient

from infogan.explore.app import create_app
from infogan.explore.model import ExplorerModel


def timed(call, count: int) -> dict:
    timings = []
    for index in range(count):
        started = time.perf_counter()
        response = call(index)
        timings.append(1000 * (time.perf_counter() - started))
        response.raise_for_status()
    timings.sort()
    return {"median_ms": statistics.median(timings), "p90_ms": timings[int(0.9 * (len(timings) - 1))]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    model = ExplorerModel(args.run_dir)
    client = TestClient(create_app(model))
    info = client.get("/api/info").json()
    continuous = next((code["name"] for code in info["codes"] if code["kind"] != "categorical"), None)
    size, channels = info["image"]["size"], info["image"]["channels"]
    buffer = io.BytesIO()
    Image.new("L" if channels == 1 else "RGB", (size, size)).save(buffer, format="PNG")
    upload = buffer.getvalue()
    client.post("/api/generate", json={"seed": 0, "codes": {}})  # warm up
    result = {
        "image_update": timed(
            lambda i: client.post(
                "/api/generate",
                json={"seed": 0, "codes": {continuous: -2 + 4 * i / args.requests} if continuous else {}},
            ),
            args.requests,
        ),
        "grid": timed(lambda i: client.post("/api/grid", json={"seed": i, "code": continuous}), args.requests // 5),
        "encode": timed(lambda i: client.post("/api/encode", content=upload), args.requests),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
