"""torch's own FLOP count of one training step, for the references to print
beside their analytic counts (the two must agree with Koine's)."""


def torch_flop_count(step) -> int | None:
    """FLOPs of one call of `step()` as torch's FlopCounterMode counts its
    matrix products; None when this torch has no FlopCounterMode."""
    try:
        from torch.utils.flop_counter import FlopCounterMode
    except ImportError:
        return None
    with FlopCounterMode(display=False) as counter:
        step()
    return int(counter.get_total_flops())
