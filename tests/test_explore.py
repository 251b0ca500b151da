"""The explorer: its JSON API without a browser, and the page in a real browser (Debian's chromium)."""

from __future__ import annotations

import base64
import io
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from infogan.errors import InfoganError
from infogan.export import export_generator
from infogan.loaded_run import load_run
from infogan.trainer import train
from infogan.viz import png_bytes, sample_grid
from run_folders import run_cli, tiny_config

starlette = pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from infogan.explore.app import create_app  # noqa: E402
from infogan.explore.model import MAX_UPLOAD_BYTES, ExplorerModel  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("explore") / "run"
    train(tiny_config(steps=2, checkpoint_every=2, image_every=2), folder, progress=False)
    return folder


@pytest.fixture(scope="module")
def client(run_dir) -> TestClient:
    return TestClient(create_app(ExplorerModel(run_dir)))


def sample_png(run_dir: Path, seed: int, codes: dict) -> bytes:
    run = load_run(run_dir)
    return png_bytes(sample_grid(run.sample(1, seed, codes), run.output_activation))


def test_info_lists_the_codes_with_their_priors(client):
    info = client.get("/api/info").json()
    assert info["name"] == "run" and info["step"] == 2 and info["image"] == {"channels": 1, "size": 28}
    assert [(code["name"], code["kind"]) for code in info["codes"]] == [
        ("c1", "categorical"),
        ("c2", "uniform"),
        ("c3", "uniform"),
    ]
    assert info["codes"][0]["categories"] == 10 and info["codes"][1]["prior"] == [-1.0, 1.0]


def test_generate_is_byte_for_byte_infogan_sample(client, run_dir, tmp_path, capsys):
    codes = {"c1": 3, "c2": 1.5, "c3": -0.5}
    answer = client.post("/api/generate", json={"seed": 7, "codes": codes}).json()
    png = base64.b64decode(answer["png"])
    assert png == sample_png(run_dir, 7, codes) and answer["ms"] > 0
    status, _ = run_cli(
        [
            "sample",
            run_dir,
            "--n",
            "1",
            "--seed",
            "7",
            "--code",
            "c1=3",
            "--code",
            "c2=1.5",
            "--code",
            "c3=-0.5",
            "--out",
            tmp_path / "s.png",
        ],
        capsys,
    )
    assert status == 0 and (tmp_path / "s.png").read_bytes() == png
    other = base64.b64decode(
        client.post("/api/generate", json={"seed": 7, "codes": {**codes, "c2": -1.5}}).json()["png"]
    )
    assert other != png


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"seed": 0, "codes": {"c1": 12}}, "integer in 0..9"),
        ({"seed": 0, "codes": {"c1": 2.5}}, "integer in 0..9"),
        ({"seed": -1, "codes": {}}, "seed must be an integer"),
        ({"seed": 0, "codes": {"c9": 1}}, "no code named 'c9'"),
        ({"seed": 0, "codes": [1, 2]}, "codes must be an object"),
    ],
)
def test_bad_requests_are_one_line_400s(client, body, expected):
    response = client.post("/api/generate", json=body)
    assert response.status_code == 400 and expected in response.json()["error"]
    assert "\n" not in response.json()["error"]


def test_a_body_that_is_not_json_is_a_400(client):
    response = client.post("/api/generate", content=b"\xff{")
    assert response.status_code == 400 and response.json() == {"error": "the request body is not JSON"}


def test_grid_is_the_traversal_of_the_code(client):
    grid = Image.open(
        io.BytesIO(base64.b64decode(client.post("/api/grid", json={"seed": 0, "code": "c2"}).json()["png"]))
    )
    assert grid.size == (10 * 30, 10 * 30)  # ten categories by ten sweep steps, 28 px plus a 2 px border


def test_encode_an_uploaded_image(client, run_dir):
    run = load_run(run_dir)
    image = (run.sample(1, 0, {"c1": 4})[0, 0].clamp(0, 1) * 255).round().byte().numpy()
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    answer = client.post("/api/encode", content=buffer.getvalue()).json()
    probabilities = answer["codes"]["c1"]["probabilities"]
    assert len(probabilities) == 10 and abs(sum(probabilities) - 1) < 1e-5
    expected = run.encode(torch.from_numpy(image)[None, None])["c1"][0].tolist()
    assert probabilities == pytest.approx(expected, abs=1e-6)
    assert set(answer["codes"]["c2"]) == {"mean", "std"} and answer["codes"]["c2"]["std"] == 1.0


@pytest.mark.slow
def test_a_colour_run_generates_and_encodes(tmp_path):
    from infogan.presets import get_preset

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
    config = get_preset("svhn").with_changes(
        steps=1, batch_size=8, eval_every=0, checkpoint_every=1, image_every=1, device="cpu", dataset="svhn"
    )
    train(config, tmp_path / "rgb", progress=False, images=images)
    colour = TestClient(create_app(ExplorerModel(tmp_path / "rgb")))
    assert colour.get("/api/info").json()["image"] == {"channels": 3, "size": 32}
    png = base64.b64decode(colour.post("/api/generate", json={"seed": 0, "codes": {"c1": 1, "c5": 0.5}}).json()["png"])
    assert Image.open(io.BytesIO(png)).mode == "RGB" and png == sample_png(tmp_path / "rgb", 0, {"c1": 1, "c5": 0.5})
    buffer = io.BytesIO()
    Image.fromarray(images[0]).save(buffer, format="PNG")
    answer = colour.post("/api/encode", content=buffer.getvalue()).json()
    assert sorted(answer["codes"]) == [f"c{index}" for index in range(1, 9)]


def test_uploads_are_limited_and_checked(client):
    assert client.post("/api/encode", content=b"x" * (MAX_UPLOAD_BYTES + 1)).status_code == 413
    response = client.post("/api/encode", content=b"not an image")
    assert response.status_code == 400 and "not an image infogan can decode" in response.json()["error"]


def test_test_images_come_by_index_only(client):
    answer = client.get("/api/test-image/5").json()
    assert Image.open(io.BytesIO(base64.b64decode(answer["png"]))).size == (28, 28) and "c1" in answer["codes"]
    assert client.get("/api/test-image/10000").status_code == 400
    assert client.get("/api/test-image/..%2Fconfig.json").status_code == 404


def test_an_exported_generator_explores_without_encoding(run_dir, tmp_path):
    path = export_generator(load_run(run_dir), tmp_path / "G.safetensors")
    exported = TestClient(create_app(ExplorerModel(path)))
    assert exported.get("/api/info").json()["encode"] is False
    png = base64.b64decode(exported.post("/api/generate", json={"seed": 1, "codes": {"c1": 2}}).json()["png"])
    assert png == sample_png(run_dir, 1, {"c1": 2})
    assert exported.post("/api/encode", content=b"x").status_code == 400


def test_the_explorer_without_its_extra_is_one_line(monkeypatch, run_dir, capsys):
    import builtins

    real_import = builtins.__import__

    def no_uvicorn(name, *args, **kwargs):
        if name == "uvicorn":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvicorn)
    status, lines = run_cli(["explore", run_dir, "--no-browser"], capsys)
    assert status == 2 and lines == ['infogan: error: the explorer needs its extra: pip install "infogan[explore]"']


def test_a_bad_port_is_one_line(run_dir):
    from infogan.explore import serve

    with pytest.raises(InfoganError, match="port must be 1 to 65535"):
        serve(run_dir, port=70000, open_browser=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(run_dir):
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(create_app(ExplorerModel(run_dir)), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not instance.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_page_in_a_real_browser(server, run_dir, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
        page.goto(server)
        page.wait_for_selector("body[data-ready=true]")
        first = page.get_attribute("#image", "src")
        page.locator("#slider-c2").fill("1.5")
        page.wait_for_function(f"document.getElementById('image').src !== {first!r}")
        page.click("#categories-c1 button[data-category='3']")
        page.wait_for_function("document.querySelector('#categories-c1 .selected').dataset.category === '3'")
        expected = sample_png(run_dir, 0, {"c1": 3, "c2": 1.5, "c3": 0.0})
        page.wait_for_function(
            "(src) => document.getElementById('image').src === src",
            arg="data:image/png;base64," + base64.b64encode(expected).decode(),
        )
        with page.expect_download() as download:
            page.click("#download")
        saved = tmp_path / "downloaded.png"
        download.value.save_as(saved)
        assert saved.read_bytes() == expected
        upload = tmp_path / "upload.png"
        Image.fromarray((load_run(run_dir).sample(1, 2, {"c1": 6})[0, 0] * 255).round().byte().numpy()).save(upload)
        page.set_input_files("#upload", str(upload))
        page.wait_for_selector("#posterior .bar")
        assert page.locator("#posterior .bar").count() == 10 and page.inner_text("#error") == ""
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        browser.close()


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_report_reads_at_1280_px(run_dir, tmp_path):
    from infogan.report import write_report

    out = write_report(run_dir, tmp_path / "report.html", samples=100, fid=False, attributes=False)
    text = out.read_text()
    assert text.index("<h2>Summary</h2>") < text.index("<h2>Traversals</h2>") < text.index("<h2>Metrics at step")
    assert f"infogan explore {run_dir}" in text and "L_I, lower bound on I(c; G(z, c)) [nats]" in text
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(out.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        browser.close()
