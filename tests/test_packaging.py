"""The wheel ships the grammars: build it, install it into a fresh venv, parse a line."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from tests.conftest import ROOT

LINE = b"2024-05-01T10:00:03.412907Z INFO Daemon Daemon Azure Linux Agent Version: 2.9.1.1\n"


def test_wheel_installs_and_parses_through_the_installed_command(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path / "dist")],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("logparse-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "logparse/grammars/waagent.lark" in names and "logparse/grammars/_common.lark" in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / "bin"
    py = bindir / "python"
    # Dependencies come from this interpreter's site-packages (no network needed); a path
    # line in a .pth file is appended after the venv's own site-packages, so the installed
    # wheel, not the source tree, provides logparse.
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    Path(purelib, "host_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True, timeout=300)

    where = subprocess.run(
        [str(py), "-c", "import logparse.grammar as g; print(g.__file__); print(g.grammar_dir())"],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    ).stdout.split()
    assert where[0].startswith(str(env_dir)) and where[1].startswith(str(env_dir))

    proc = subprocess.run(
        [str(bindir / "logparse"), "parse", "-", "--as", "waagent", "--format", "jsonl"],
        input=LINE, capture_output=True, timeout=120, cwd=tmp_path, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert b'"generation": "g3"' in proc.stdout and b'"thread": "Daemon"' in proc.stdout
