"""What every `egov` subcommand shares: the consoles and how bad input is reported
(one line per problem on stderr, exit status 2, a traceback only with --debug)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

import typer
from rich.console import Console
from rich.markup import escape

out_console = Console(soft_wrap=True)
if not out_console.is_terminal:  # files and pipes get whole tables, not 80 columns
    out_console = Console(soft_wrap=True, width=160)
err_console = Console(stderr=True)


class BadInput(Exception):
    """Input the user can fix: reported without traceback, exit status 2."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _printable(line: str) -> str:
    """One line on the terminal: control characters from input are shown escaped."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(line))


def fail(problems: list[str], debug: bool, error: BaseException | None = None, exit_code: int = 2) -> None:
    if debug and error is not None:
        raise error
    for problem in problems:
        # a problem may carry indented detail lines; input's control characters are escaped
        first, *rest = str(problem).split("\n")
        err_console.print(f"[bold red]error[/]: {escape(_printable(first))}", highlight=False, soft_wrap=True)
        for line in rest:
            err_console.print(escape(_printable(line)), highlight=False, soft_wrap=True)
    raise typer.Exit(exit_code)


@contextlib.contextmanager
def _sigint_handler(handler: Callable) -> Iterator[None]:
    """SIGINT goes to `handler` inside the block. Only the main thread can set a handler;
    a process started with SIGINT ignored (nohup) keeps ignoring it; a handler set outside
    Python is left alone."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous in (signal.SIG_IGN, None):
        yield
        return
    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C until the block ends, then raise it: for native code (numba loading
    its compiled kernels) that a KeyboardInterrupt must not land inside."""
    caught: list[int] = []
    with _sigint_handler(lambda signum, frame: caught.append(signum)):
        yield
    if caught:
        raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_noted() -> Iterator[Callable[[], None]]:
    """Ctrl-C raises KeyboardInterrupt as usual and is also noted; the check this yields
    raises it again. Native code can swallow the first (a pending exception cleared in a
    call from compiled code: seen as `egov run` finishing with exit 0 after a Ctrl-C on a
    loaded machine), so a loop calls the check between steps."""
    noted: list[int] = []

    def note_and_raise(signum, frame):
        noted.append(signum)
        raise KeyboardInterrupt

    def check() -> None:
        if noted:
            raise KeyboardInterrupt

    with _sigint_handler(note_and_raise):
        yield check
