"""The contrastive regulariser's weight over a run: ``constant`` or ``progressive:STEP[,STEP...]``.

InfoGAN-CR (Lin et al., ICML 2020, arXiv 1906.06034) trains progressively: the CR weight
alpha starts at 0 and rises in steps. In the authors' dSprites configuration (github
fjxmlzn/InfoGAN-CR, InfoGAN-CR_dSprites/config.py) alpha is 0 for the first 288,000 of
28 epochs x 11,520 = 322,560 batches and 2 for the rest (``cr_coe_start`` 0,
``cr_coe_increase`` 2, ``cr_coe_increase_batch`` 288000, one increase); their 3D-teapot one
rises to 3 at batch 50,000. Here:

- ``constant``: alpha = ``weight`` from step 0;
- ``progressive:S1,...,Sk``: alpha = 0 before step S1 and rises by ``weight / k`` at each
  listed step, reaching ``weight`` at Sk (the dSprites schedule is ``--cr-weight 2
  --cr-schedule progressive:288000``). As in the authors' code, the CR network and its
  optimiser start afresh at every rise.

>>> schedule = parse_schedule(2.0, "progressive:100,200")
>>> [schedule.weight_at(step) for step in (0, 99, 100, 199, 200)]
[0.0, 0.0, 1.0, 1.0, 2.0]
"""

from __future__ import annotations

from dataclasses import dataclass

from infogan.errors import InfoganError

SCHEDULE_HELP = "constant, or progressive:STEP[,STEP...] with increasing positive steps (e.g. progressive:288000)"


@dataclass(frozen=True)
class ContrastiveSchedule:
    """alpha over training: ``weight`` reached in equal rises at ``rise_steps`` (none: from step 0)."""

    weight: float
    rise_steps: tuple[int, ...] = ()

    def weight_at(self, step: int) -> float:
        """alpha for the update that takes the run from ``step`` to ``step + 1``."""
        if not self.rise_steps:
            return self.weight
        risen = sum(1 for rise in self.rise_steps if step >= rise)
        return self.weight * risen / len(self.rise_steps)

    def rises_at(self, step: int) -> bool:
        """Whether alpha rises at ``step`` (then the CR network starts afresh)."""
        return step in self.rise_steps


def parse_schedule(weight: float, text: str) -> ContrastiveSchedule:
    """The schedule ``text`` (``constant`` or ``progressive:S1,...``) for weight alpha; one-line errors."""
    if not isinstance(text, str):
        raise InfoganError(f"cr-schedule must be {SCHEDULE_HELP}, got {text!r}")
    if text == "constant":
        return ContrastiveSchedule(weight)
    kind, _, steps_text = text.partition(":")
    if kind != "progressive" or not steps_text:
        raise InfoganError(f"cr-schedule must be {SCHEDULE_HELP}, got {text!r}")
    try:
        steps = tuple(int(item) for item in steps_text.split(","))
    except ValueError:
        raise InfoganError(f"cr-schedule steps must be integers, got {steps_text!r} ({SCHEDULE_HELP})") from None
    if steps[0] < 1 or any(later <= earlier for earlier, later in zip(steps, steps[1:])):
        raise InfoganError(f"cr-schedule steps must be positive and increasing, got {steps_text!r}")
    return ContrastiveSchedule(weight, steps)
