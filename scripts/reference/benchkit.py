"""What scripts/bench-vs-pytorch and scripts/bench-images-vs-pytorch share:
the PyTorch virtual environment (runs/bench-venv, torch pip-installed there
when it does not import), the release build of koine, running a side and
reading the JSON object it prints, and the medians and formatting of the
report.

Imported by the two scripts (they put this folder on sys.path); not a
command of its own.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
VENV = ROOT / "runs" / "bench-venv"
VENV_PYTHON = VENV / "bin" / "python"
KOINE = ROOT / ".build" / "release" / "koine"


def say(message: str) -> None:
    print(message, flush=True)


def single_thread_env() -> dict:
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    return env


# ---------------------------------------------------------------- setup


def torch_works(python: Path = VENV_PYTHON) -> str | None:
    """torch's version as `python` imports it, None when it does not."""
    if not Path(python).exists():
        return None
    probe = subprocess.run([str(python), "-c", "import torch; print(torch.__version__)"],
                           capture_output=True, text=True)
    return probe.stdout.strip() if probe.returncode == 0 else None


def ensure_torch(program: str = "bench-vs-pytorch") -> str:
    """torch's version in runs/bench-venv, installing it there first when
    `import torch` fails (exits when the install does not import)."""
    version = torch_works()
    if version:
        return version
    say(f"== PyTorch is missing: installing it into {VENV.relative_to(ROOT)}")
    say("   (PyPI's torch for Linux pulls the CUDA libraries: ~3 GB to download, ~5.4 GB installed)")
    started = time.time()
    if not VENV_PYTHON.exists():
        VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV_PYTHON), "-m", "pip", "install", "--progress-bar", "off", "torch", "numpy"],
                   check=True)
    version = torch_works()
    if not version:
        sys.exit(f"{program}: torch was installed but does not import; see the output above")
    say(f"== torch {version} installed in {time.time() - started:.0f} s")
    return version


def ensure_koine(rebuild: bool) -> None:
    if KOINE.exists() and not rebuild:
        return
    if shutil.which("swift") is None:
        say("== swift not found: Koine's side will be skipped")
        return
    say("== building koine (swift build -c release --product koine)")
    started = time.time()
    build = subprocess.run(["swift", "build", "-c", "release", "--product", "koine"], cwd=ROOT)
    if build.returncode != 0:
        say("== the release build failed: Koine's side will be skipped")
    else:
        say(f"== built in {time.time() - started:.0f} s")


# ---------------------------------------------------------------- runs


def last_json_object(text: str) -> dict | None:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return None


def run_json(command: list[str], env: dict, label: str) -> dict | None:
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    parsed = last_json_object(result.stdout) if result.returncode == 0 else None
    if parsed is None:
        say(f"   ! {label} failed (exit {result.returncode}): {' '.join(command)}")
        for line in (result.stderr.strip().splitlines() or result.stdout.strip().splitlines())[-5:]:
            say(f"     {line}")
    return parsed


# ---------------------------------------------------------------- report


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def figures(runs: list[dict], key: str) -> list[float]:
    return [float(r[key]) for r in runs if r is not None and r.get(key) is not None]


def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def spread(values: list[float], digits: int = 1) -> str:
    return "—" if not values else f"{min(values):,.{digits}f}–{max(values):,.{digits}f}"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"
