"""The references' self-tests (`--check`): one line per check, a count of
failures, and the exit status."""

from __future__ import annotations


class SelfTest:
    def __init__(self, title: str):
        self.failures = 0
        print(f"check: {title}", flush=True)

    def report(self, ok: bool, what: str) -> None:
        self.failures += 0 if ok else 1
        print(f"  {'ok  ' if ok else 'FAIL'} {what}", flush=True)

    def finish(self) -> int:
        """Prints the verdict; the exit status, 0 when every check passed."""
        print("check: " + ("all passed" if self.failures == 0 else f"{self.failures} FAILED"), flush=True)
        return 0 if self.failures == 0 else 1
