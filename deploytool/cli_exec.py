"""Running a command for the CLI: logging set up, the command run, its result rendered, and
every DeployToolError turned into its exit code, here and nowhere else."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any

import typer

from deploytool.cli_options import OutputFormat
from deploytool.errors import DeployToolError, ExitCode, ManifestError
from deploytool.redaction import ScrubbingFilter
from deploytool.render.escape import guard_commands, shown


def setup_logging(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ScrubbingFilter())
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    google = logging.getLogger("google")
    # google-api-core may attach its own handler with propagate=False (when
    # GOOGLE_SDK_PYTHON_LOGGING_SCOPE is set), which would bypass the scrubbing filter: keep
    # every record flowing through ours.
    google.handlers[:] = []
    google.propagate = True
    google.setLevel(logging.DEBUG if debug else logging.ERROR)


class OneLineFormatter(logging.Formatter):
    """A log record's message on one line (it may quote an API answer); a traceback attached
    to the record keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return guard_commands(shown(super().formatMessage(record)))


def say(message: str) -> None:
    """One line on stderr: whatever the message quotes (values, names, API errors) cannot
    start a line of its own or become a workflow command."""
    sys.stderr.write(guard_commands(shown(message)) + "\n")
    sys.stderr.flush()


def say_traceback() -> None:
    """--debug: the current exception's traceback. Frame lines are the tool's own source and
    keep their lines; each exception's message (it may quote values) is one line."""
    error = sys.exc_info()[1]
    if error is None:
        return
    for chunk in traceback.TracebackException.from_exception(error).format():
        if chunk.startswith("  File "):
            for line in chunk.rstrip("\n").split("\n"):
                say(line)
        elif chunk.strip("\n"):
            say(chunk.strip("\n"))


def execute(
    run: Callable[[], Any],
    render: Callable[[Any], None],
    *,
    command: str,
    debug: bool,
    json_output: bool = False,
    environment: str | None = None,
) -> None:
    """The one place errors turn into exit codes."""
    setup_logging(debug)
    try:
        result = run()
        render(result)
        code = int(result.verdict.exit_code)
    except DeployToolError as error:
        code = int(error.exit_code)
        if debug:
            say_traceback()
        if isinstance(error, ManifestError):
            say(f"error: invalid configuration ({len(error.problems)} problems):")
            for problem in error.problems:
                say(f"  {problem}")
        else:
            say(f"error: {error.message}")
        if error.hint:
            say(f"hint: {error.hint}")
        if json_output:
            from deploytool.render.json_doc import dumps, failure_doc

            typer.echo(dumps(failure_doc(command, environment, error)))
    except KeyboardInterrupt:
        say("interrupted")
        code = int(ExitCode.INTERRUPTED)
    except Exception as error:  # a bug: say so, never dump a traceback unless asked
        code = int(ExitCode.BUG)
        if debug:
            say_traceback()
        say(f"error: unexpected {type(error).__name__}: {error}")
        say("hint: this is a bug in deploytool; re-run with --debug and report the output")
        if json_output:
            from deploytool.render.json_doc import dumps, failure_doc

            bug = DeployToolError(
                f"unexpected {type(error).__name__} (a bug in deploytool)",
                "re-run with --debug and report the output",
            )
            typer.echo(dumps(failure_doc(command, environment, bug)))
    raise typer.Exit(code)


def stderr_is_terminal() -> bool:
    """Whether someone watches stderr (a seam for tests): retries are announced only then,
    so CI logs stay clean (there --debug shows every attempt instead)."""
    return sys.stderr.isatty()


def announce_retry(notice: Any) -> None:
    """One line per retried read, on a terminal only (a RetryNotice from the adapter)."""
    if stderr_is_terminal():
        say(notice.line())


def gateway_for(impersonate: str | None, timeout: float) -> Any:
    from deploytool.cloudrun.connect import ConnectionSettings
    from deploytool.cloudrun.gateway import CloudRunGateway

    return CloudRunGateway(
        ConnectionSettings.from_env(impersonate=impersonate, timeout=timeout),
        on_retry=announce_retry,
    )


def asset_gateway_for(impersonate: str | None, timeout: float) -> Any:
    """Cloud Asset Inventory (`audit --discover`), reached as Cloud Run is."""
    from deploytool.cloudrun.asset import AssetGateway
    from deploytool.cloudrun.connect import ConnectionSettings

    return AssetGateway(
        ConnectionSettings.from_env(impersonate=impersonate, timeout=timeout),
        on_retry=announce_retry,
    )


def warn_about(result: Any) -> None:
    for report in getattr(result, "reports", ()):
        for warning in report.warnings:
            say(f"warning: {warning}")
    for warning in getattr(result, "warnings", ()):
        say(f"warning: {warning}")


def gate_renderer(output: OutputFormat) -> Callable[[Any], None]:
    def render(result: Any) -> None:
        warn_about(result)
        if output is OutputFormat.json:
            from deploytool.render.json_doc import dumps, gate_doc

            typer.echo(dumps(gate_doc(result)))
        else:
            from deploytool.render.text import render_gate

            render_gate(result)

    return render
