"""User-facing errors: each carries a one-line message that the CLI prints without a traceback."""


class PokegenError(Exception):
    """An error caused by the user's input or environment, not by a bug."""


class DataError(PokegenError):
    """The data could not be found or contains no usable image."""


class RunError(PokegenError):
    """A run folder or checkpoint is missing, incomplete or incompatible."""


class TrainingError(PokegenError):
    """Training stopped for a reason the user should know (e.g. a non-finite loss)."""
