"""Errors of the generation layer, as subclasses of the one tree in :mod:`ragwarden.core.errors`.

    ConfigurationError
    ├── ModelNotFoundError          the model is not there: no GGUF at the path, not pulled into Ollama
    └── BackendMissingError         the Python package for the configured backend is not installed
    InvalidRequestError
    └── PromptTooLongError          the prompt does not fit the model's context window
    TransientError
    ├── LLMUnavailableError         the LLM server cannot be reached or failed (503)
    │   └── LLMTimeoutError         it did not answer in time
    └── OverloadedError
        └── LLMBusyError            the in-process model stayed busy past the wait timeout (503, Retry-After)

``ragwarden.api.errors`` maps them by their core base class, so no new row is needed there.
"""

from __future__ import annotations

from ragwarden.core.errors import ConfigurationError, InvalidRequestError, OverloadedError, TransientError


class ModelNotFoundError(ConfigurationError):
    """The configured model does not exist where it was looked for."""


class BackendMissingError(ConfigurationError):
    """The optional dependency of the configured LLM backend is not installed."""


class PromptTooLongError(InvalidRequestError):
    """The prompt exceeds the model's context window even after packing."""


class LLMUnavailableError(TransientError):
    """The LLM backend cannot be reached or broke off; retrying later may work."""


class LLMTimeoutError(LLMUnavailableError):
    """The LLM backend did not answer within the configured timeouts."""


class LLMBusyError(OverloadedError):
    """The in-process model was generating for others for longer than a caller may wait."""
