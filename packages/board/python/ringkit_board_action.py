"""Runs one python action of the ringkit board, or checks that actions can be loaded.

    python3 ringkit_board_action.py run MODULE FUNCTION   < params as a JSON object
    python3 ringkit_board_action.py check                 < [[module, function], ...] as JSON

`run` imports MODULE, calls FUNCTION(**params) (awaiting it when it is a coroutine function, as
actionboard does) and writes one JSON line to stdout: {"ok": true, "value": <result>} or
{"ok": false, "message": "<exception text>"}. Anything the action prints goes to stderr, so it
cannot corrupt that line. `check` writes a JSON list with null (loadable) or a problem per action.

The config directory (the working directory) comes first on sys.path; the board's compatibility
modules (actionboard's demo actions as `visual_control_board.actions.built_in_actions`) come
last, so an installed actionboard wins over them.
"""
import asyncio
import importlib
import inspect
import json
import os
import sys

sys.path.insert(0, os.getcwd())
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "compat"))


def load(module, function):
    fn = getattr(importlib.import_module(module), function, None)
    if fn is None:
        raise LookupError(f"module '{module}' has no attribute '{function}'")
    if not callable(fn):
        raise TypeError(f"'{module}.{function}' is a {type(fn).__name__}, not a function")
    return fn


def describe(e):
    return f"{type(e).__name__}: {e}"


def run(module, function, out):
    params = json.load(sys.stdin)
    if not isinstance(params, dict):
        raise TypeError("params must be a JSON object")
    fn = load(module, function)
    if inspect.iscoroutinefunction(fn):
        value = asyncio.run(fn(**params))
    else:
        value = fn(**params)
    out.write(json.dumps({"ok": True, "value": value}, default=str) + "\n")


def check(out):
    problems = []
    for module, function in json.load(sys.stdin):
        try:
            load(module, function)
            problems.append(None)
        except BaseException as e:  # noqa: BLE001 - report whatever the import raised
            problems.append(describe(e))
    out.write(json.dumps(problems) + "\n")


def main():
    out = sys.stdout
    sys.stdout = sys.stderr
    try:
        if sys.argv[1:2] == ["check"]:
            check(out)
        elif sys.argv[1:2] == ["run"] and len(sys.argv) == 4:
            try:
                run(sys.argv[2], sys.argv[3], out)
            except Exception as e:  # noqa: BLE001 - the toast shows the action's own error text
                out.write(json.dumps({"ok": False, "message": str(e) or describe(e)}) + "\n")
        else:
            sys.stderr.write(__doc__)
            sys.exit(2)
    finally:
        out.flush()


main()
