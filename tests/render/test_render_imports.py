"""`plan --format json` loads the plan's record and its numbers, never a table module
(nor Rich): her2dose.render imports each module on first use."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from her2dose.cli.app import main
sys.argv = ["her2dose", "plan", "enhertu", "--indication", "breast", "--weight", "72 kg",
            "--format", "json"]
try:
    main()
except SystemExit:
    pass
print(",".join(sorted(m for m in sys.modules if m.startswith(("her2dose.render", "rich")))),
      file=sys.stderr)
"""


def test_plan_json_loads_only_the_record_modules():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False
    )
    loaded = set(result.stderr.strip().splitlines()[-1].split(","))
    assert loaded == {"her2dose.render", "her2dose.render.numbers", "her2dose.render.records"}


def test_every_public_name_is_importable_from_the_package():
    from her2dose import render
    from her2dose.render import records

    assert render.plan_json is records.plan_json
    found = {name: getattr(render, name) for name in render.__all__}  # AttributeError if not
    assert len(found) == len(render.__all__) > 40
