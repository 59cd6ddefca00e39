"""A small client for danbao's HTTP API, for the notebooks in this folder.

It uses only the standard library (urllib) plus pandas for tables, so it
runs with Debian's python3-pandas and needs nothing from PyPI. Money in the
API's JSON is a decimal string of yuan; `yuan()` turns it into a float.

Connect to a running server with the environment variables

    DANBAO_URL   e.g. http://127.0.0.1:8080 (notebooks/run.sh sets it)
    DANBAO_KEY   an API key with the analyst role (danbao serve prints one)

or, when DANBAO_URL is not set, `connect()` starts `danbao serve` itself on a
free loopback port with a temporary data folder (the binary from DANBAO_BIN,
else `danbao` on PATH, else `go run ./cmd/danbao` from the repository) and
stops it when the kernel exits.
"""

import atexit
import io
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pandas as pd

__all__ = ["Client", "connect", "yuan", "setup_plots", "YI", "WAN"]

YI = 1e8   # yuan per 亿
WAN = 1e4  # yuan per 万


def yuan(x):
    """A money value of the API (decimal string of yuan, or None) as a float."""
    return float("nan") if x is None else float(x)


def setup_plots():
    """Configures matplotlib for the notebooks and returns True when a CJK
    font is installed (Debian: fonts-noto-cjk), so labels can carry Chinese;
    without one, matplotlib would draw empty boxes, and the notebooks label
    in English only."""
    import matplotlib
    from matplotlib import font_manager

    matplotlib.rcParams.update({"figure.figsize": (9, 4.2), "figure.dpi": 100, "axes.grid": True,
                                "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False})
    cjk = [f.name for f in font_manager.fontManager.ttflist
           if f.name.startswith(("Noto Sans CJK", "Source Han Sans", "WenQuanYi", "Noto Sans SC"))]
    if not cjk:
        return False
    pref = sorted(set(cjk), key=lambda n: (not n.endswith("SC"), n))[0]
    matplotlib.rcParams["font.sans-serif"] = [pref, "DejaVu Sans"]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False
    return True


class APIError(Exception):
    """A problem document (RFC 9457) the API answered with."""

    def __init__(self, status, doc):
        self.status, self.doc = status, doc
        msg = doc.get("message") or doc.get("title") or str(doc)
        fixes = doc.get("fixes") or []
        super().__init__(f"HTTP {status}: {msg}" + (" Fixes: " + " ".join(fixes) if fixes else ""))


class Client:
    """Calls the API at base with an API key."""

    def __init__(self, base, key=""):
        self.base = base.rstrip("/")
        self.key = key

    def _request(self, method, path, body=None, accept="application/json"):
        data = None
        headers = {"Accept": accept}
        if self.key:
            headers["Authorization"] = "Bearer " + self.key
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                doc = json.loads(raw)
            except ValueError:
                doc = {"message": raw.decode(errors="replace")}
            raise APIError(e.code, doc) from None

    def get(self, path):
        """GET path as JSON."""
        return json.loads(self._request("GET", path)[1])

    def post(self, path, body):
        """POST a JSON body; returns the JSON answer."""
        return json.loads(self._request("POST", path, body)[1])

    def csv(self, path):
        """GET path as CSV (Accept: text/csv) into a DataFrame."""
        return pd.read_csv(io.BytesIO(self._request("GET", path, accept="text/csv")[1]))

    def wait(self, status, every=0.5, timeout=1800, show=True):
        """Polls a job (the status a POST answered) until it ends; returns the
        final status. Raises if it did not succeed."""
        url = status["links"]["self"]
        t0, last = time.time(), -1
        while status["state"] in ("queued", "running"):
            if time.time() - t0 > timeout:
                raise TimeoutError(f"{status['id']} still {status['state']} after {timeout} s")
            time.sleep(every)
            status = self.get(url)
            pct = int(100 * status["progress"]["fraction"])
            if show and pct // 25 != last // 25 and status["state"] in ("queued", "running"):
                print(f"{status['id']}: {status['state']} {pct} %")
                last = pct
        if status["state"] != "succeeded":
            raise RuntimeError(f"{status['id']} {status['state']}: {status.get('error')}")
        if show:
            print(f"{status['id']}: succeeded in {status['progress']['elapsed_seconds']:.1f} s")
        return status

    def run(self, kind="runs", **request):
        """Starts a job (POST /v1/{kind}), waits for it and returns (status, result)."""
        st = self.wait(self.post("/v1/" + kind, request))
        return st, self.get(st["links"]["result"])


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _danbao_command():
    if os.environ.get("DANBAO_BIN"):
        return [os.environ["DANBAO_BIN"]]
    if shutil.which("danbao"):
        return [shutil.which("danbao")]
    here = os.path.dirname(os.path.abspath(__file__)) if "__file__" in globals() else os.getcwd()
    repo = os.path.dirname(here)
    if shutil.which("go") and os.path.exists(os.path.join(repo, "go.mod")):
        out = os.path.join(tempfile.mkdtemp(prefix="danbao-bin-"), "danbao")
        subprocess.run(["go", "build", "-o", out, "./cmd/danbao"], cwd=repo, check=True)
        return [out]
    raise RuntimeError("no danbao binary: set DANBAO_URL to a running server, or DANBAO_BIN, or put danbao on PATH")


def connect():
    """A Client for $DANBAO_URL, or for a server this function starts."""
    if os.environ.get("DANBAO_URL"):
        return Client(os.environ["DANBAO_URL"], os.environ.get("DANBAO_KEY", ""))
    data = tempfile.mkdtemp(prefix="danbao-data-")
    port = _free_port()
    proc = subprocess.Popen(_danbao_command() + ["serve", "--addr", f"127.0.0.1:{port}", "--data", data, "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def stop():
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)

    atexit.register(stop)
    key = ""
    deadline = time.time() + 60
    for line in proc.stdout:  # serve prints its address and an admin key, then serves
        m = re.search(r"admin API key: (\S+)", line)
        if m:
            key = m.group(1)
            break
        if time.time() > deadline:
            break
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # drain what else it prints
    c = Client(f"http://127.0.0.1:{port}", key)
    while time.time() < deadline:
        try:
            c.get("/readyz")
            print(f"started danbao serve on {c.base} (data {data})")
            return c
        except (OSError, APIError):
            time.sleep(0.2)
    raise RuntimeError("danbao serve did not become ready")
