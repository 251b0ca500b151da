"""The project's own error types.

Everything a user can get wrong (a bad option, a malformed latent spec, a missing or
corrupt data file, a checkpoint that does not fit) raises an ``InfoganError``; the CLI
prints its message on one line and exits with status 2. Anything else is a bug.
"""


class InfoganError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class SpecError(InfoganError):
    """A latent specification that cannot be parsed or is inconsistent."""


class DataError(InfoganError):
    """A data file that is missing, truncated, corrupt or of the wrong format."""


class CheckpointError(InfoganError):
    """A checkpoint that is missing, corrupt, unsafe or does not match the run."""


class DivergenceError(InfoganError):
    """A loss became NaN or infinite during training."""


class InfoganWarning(UserWarning):
    """Something the user should know that does not stop the work (the CLI prints it on one line)."""
