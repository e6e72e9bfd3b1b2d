"""Domain errors: raised by operations, shown to the user by the views."""


class DomainError(Exception):
    """A rule of the domain refused the operation. The message is user-facing (already translated)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    pass
