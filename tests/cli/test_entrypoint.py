"""The installed program: console script, `python -m`, import hygiene, and the wheel."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SHIPPED


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HER2DOSE_REGIMENS"}
    env["NO_COLOR"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def installed_script() -> Path:
    # next to the interpreter running the tests (the venv's bin/ or Scripts/); not resolved,
    # since a venv's python is often a symlink to the system one
    folder = Path(sys.executable).parent
    for name in ("her2dose", "her2dose.exe"):
        if (folder / name).exists():
            return folder / name
    pytest.fail(f"the her2dose script is not installed in {folder}: run pip install -e .")


def test_installed_script_plans_a_dose_from_another_folder(tmp_path):
    result = subprocess.run(
        [
            str(installed_script()),
            "plan",
            "enhertu",
            "--indication",
            "breast",
            "--weight",
            "72 kg",
            "--format",
            "json",
        ],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dose_mg"] == 388.8
    assert data["vials"] == [{"strength_mg": 100, "count": 4, "multiple_dose": False}]
    assert data["rate_ml_per_h"] == 79.6
    # the regimens file in use is the shipped one, found without the repo as cwd
    assert data["regimens_sha256"] == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    assert "Traceback" not in result.stderr


def test_installed_script_reports_bad_input_in_one_line(tmp_path):
    result = subprocess.run(
        [str(installed_script()), "plan", "enhertu", "--indication", "breast", "--weight", "72 mL"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: weight '72 mL' is a volume, expected a mass")
    assert "Traceback" not in result.stderr


def test_python_dash_m_help(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "her2dose", "--help"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert "plan" in result.stdout and "regimens" in result.stdout


def test_importing_the_cli_loads_neither_pint_nor_rich(tmp_path):
    # --help and --version must stay fast: Pint and Rich load only inside command bodies
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import her2dose.cli.app, sys; print('pint' in sys.modules, 'rich' in sys.modules)",
        ],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"


def test_version_does_not_load_pint_or_rich(tmp_path):
    code = (
        "import sys\n"
        "from her2dose.cli.app import app\n"
        "try:\n"
        "    app(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('pint' in sys.modules, 'rich.table' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False False"


def test_wheel_ships_the_regimens_file_and_the_units(tmp_path):
    if importlib.util.find_spec("pip") is None:
        pytest.skip("pip is not available in this interpreter, so no wheel can be built")
    env = clean_env()
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if (
        result.returncode != 0
        and "hatchling" in result.stderr
        and (
            "No matching distribution" in result.stderr
            or "Could not find a version" in result.stderr
        )
    ):
        pytest.skip("the build backend (hatchling) cannot be installed here (offline?)")
    assert result.returncode == 0, result.stderr
    wheels = list(tmp_path.glob("her2dose-*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
        assert "her2dose/data/regimens.toml" in names
        assert "her2dose/units/units.txt" in names
        assert "her2dose/cli/app.py" in names
        # the shipped copy is the repo-root file, byte for byte
        assert wheel.read("her2dose/data/regimens.toml") == SHIPPED.read_bytes()
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "her2dose = her2dose.cli:main" in wheel.read(entry_points).decode()
