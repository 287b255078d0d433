"""bin/supervise: the demo's worker and dispatcher come back by themselves when they exit."""

import os
import signal
import subprocess
import time
from pathlib import Path

SUPERVISE = Path(__file__).resolve().parents[2] / "bin" / "supervise"


def test_it_starts_a_command_again_after_it_exits_and_stops_on_term(tmp_path):
    runs = tmp_path / "runs"
    process = subprocess.Popen(
        [str(SUPERVISE), "sh", "-c", f"echo run >> {runs}; exit 3"],
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(_lines(runs)) < 2:
            time.sleep(0.2)
        assert len(_lines(runs)) >= 2
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert b"exited with status 3; starting it again" in err


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []
