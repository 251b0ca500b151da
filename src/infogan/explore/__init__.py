"""``infogan explore``: steer a trained run's codes live in the browser.

Needs the optional extra: ``pip install "infogan[explore]"`` (Starlette and uvicorn; the
page itself has no external assets and works offline).
"""

from __future__ import annotations

import contextlib
import webbrowser
from pathlib import Path

from infogan.errors import InfoganError

EXTRA_HINT = 'the explorer needs its extra: pip install "infogan[explore]"'


def serve(
    source: str | Path, host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True, on_ready=None
) -> None:
    """Serve the explorer for a run folder or an exported ``.safetensors`` generator until interrupted.

    ``on_ready(url)`` is called once the run is loaded, before serving (the CLI prints the address).
    """
    try:
        import uvicorn

        from infogan.explore.app import create_app
    except ImportError:
        raise InfoganError(EXTRA_HINT) from None
    from infogan.explore.model import ExplorerModel

    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise InfoganError(f"port must be 1 to 65535, got {port!r}")
    app = create_app(ExplorerModel(source))
    url = f"http://{'localhost' if host in ('127.0.0.1', 'localhost') else host}:{port}/"
    if on_ready is not None:
        on_ready(url)
    if open_browser:
        with contextlib.suppress(webbrowser.Error):
            webbrowser.open(url)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    except (OSError, SystemExit) as error:
        raise InfoganError(f"cannot serve on {host}:{port} ({error})") from None
