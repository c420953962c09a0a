"""Starting an engine: what it says when it cannot do its work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_an_engine_with_veo_and_no_credentials_says_so_in_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VEOGEN_DATA_DIR": str(tmp_path),
        "VEOGEN_DRAFTS": "false",
        "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "missing.json"),
        "VEOGEN_GOOGLE_CREDENTIALS_FILE": str(tmp_path / "missing.json"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "studio.cli", "engine"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "VEOGEN_GOOGLE_CREDENTIALS_FILE: cannot use" in done.stderr.strip().splitlines()[-1]
