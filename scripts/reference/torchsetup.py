"""Torch set-up shared by the references: the threads a run uses, quieter
compiler warnings, and the self-tests' check that a compiled function
computes what the eager one does."""

from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")


def use_threads(threads: int) -> None:
    """`threads` for torch's operators, one for its inter-op pool (where it
    can still be set)."""
    import torch
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass


def quiet_compiler() -> None:
    """torch.compile's own deprecation warnings say nothing about this run."""
    import warnings
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.")
    warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\._inductor")


def eager_and_compiled(run: Callable[[bool], T]) -> tuple[T, T]:
    """`run(False)` and `run(True)` (the latter compiling what it runs), with
    inductor's fallback_random so that random draws are the eager ones."""
    import torch._inductor.config as inductor_config
    quiet_compiler()
    inductor_config.fallback_random = True
    try:
        return run(False), run(True)
    finally:
        inductor_config.fallback_random = False


def unavailable(error: Exception) -> str:
    """The self-test's line when the compiler cannot run here."""
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"  skip torch.compile unavailable here: {first}"
