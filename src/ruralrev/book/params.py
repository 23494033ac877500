"""The parameters file: chapters, their parameter schemas, and parameters as the command line writes them.

``notebooks/params.yml`` lists every chapter in book order with its MyST source, its executed
copy, its default parameters, a typed schema entry per parameter and cross-parameter rules;
:func:`load_plan` reads and checks it (the file's form: its Notes). On the command line a value
is written ``name=value`` in the form :func:`format_value` writes and :func:`parse_value` reads;
:func:`parse_overrides` reads a chapter's overrides and :func:`check` tests a full set of values.
Every problem is one line of a :class:`ParameterError`; nothing runs until all values pass.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ruralrev.core import paths
from ruralrev.core.errors import ParameterError, RunError

__all__ = ["Chapter", "load_plan", "parse_value", "format_value", "parse_overrides", "check",
           "validate_parameters", "command_line", "notebook_defaults", "TYPES"]

TYPES = ("int", "float", "str", "bool", "list")
_ENTRY_KEYS = {"type", "nullable", "min", "max", "choices", "items", "min_items", "max_items", "unique"}
_NULL = {"null", "none", "~"}
_INT = re.compile(r"^[+-]?\d+$")
_SIDE = r"[A-Za-z_]\w*(?:\s*[+-]\s*\d+(?:\.\d+)?)?|-?\d+(?:\.\d+)?"
_RULE = re.compile(rf"^\s*(?P<left>{_SIDE})\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<right>{_SIDE})\s*$")
_TERM = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*(?:(?P<sign>[+-])\s*(?P<offset>\d+(?:\.\d+)?))?$")
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
        "!=": operator.ne}


@dataclass(frozen=True)
class Chapter:
    """One executable notebook of the book: where it is, where its page goes, its parameters."""

    name: str
    source: Path
    output: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    schema: dict[str, dict] = field(default_factory=dict)
    rules: tuple[str, ...] = ()

    def spec(self, name: str) -> dict:
        """The schema entry of a parameter; without one, the type of its default."""
        if name in self.schema:
            return self.schema[name]
        default = self.parameters.get(name)
        kind = {bool: "bool", int: "int", float: "float", list: "list"}.get(type(default), "str")
        return {"type": kind, "nullable": default is None}


# ---- the file ---------------------------------------------------------------------------------

def _check_entry(where: str, entry: Any, inner: bool = False) -> None:
    if not isinstance(entry, dict) or entry.get("type") not in TYPES:
        raise RunError(f"{where}: a schema entry needs 'type' (one of {', '.join(TYPES)}), got {entry!r}")
    unknown = set(entry) - _ENTRY_KEYS
    if unknown:
        raise RunError(f"{where}: unknown schema key(s) {sorted(unknown)} (allowed: {sorted(_ENTRY_KEYS)})")
    if inner and ("items" in entry or "nullable" in entry):
        raise RunError(f"{where}: list items cannot be lists or null")
    if entry["type"] == "list":
        if "items" not in entry:
            raise RunError(f"{where}: a list entry needs 'items' (the schema of one item)")
        _check_entry(f"{where} items", entry["items"], inner=True)


def _check_rule(where: str, rule: Any, names: set[str]) -> None:
    match = _RULE.match(rule) if isinstance(rule, str) else None
    if not match:
        raise RunError(f"{where}: rule {rule!r} is not '<name> <op> <name or number>'")
    for side in (match["left"], match["right"]):
        term = _TERM.match(side)
        if term and term["name"] not in names:
            raise RunError(f"{where}: rule {rule!r} names unknown parameter {term['name']!r}")


#: PyYAML's safe loader, in C when PyYAML was built with libyaml (the wheels are): same documents,
#: about ten times faster on ``params.yml``, which every command reads.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_plan(params_file: Path | None = None, root: Path | None = None) -> list[Chapter]:
    """Read the parameters file into chapters (in book order), defaults merged with ``global``.

    The file itself is checked: every parameter has a schema entry, entries and rules are well
    formed, and every default passes its schema. A problem raises :class:`RunError` naming it.

    Notes
    -----
    ``notebooks/params.yml`` lists every chapter in book order::

        notebooks:
          typology:
            source: notebooks/typology.md          # the MyST text notebook
            output: book/executed/typology.ipynb   # the executed copy the table of contents names
            parameters:                            # defaults (equal to the notebook's parameters cell)
              year: null
              k: null
              indicators: [rural_income, urbanization_rate]
            schema:                                # one entry per parameter
              year: {type: int, nullable: true, min: 2016, max: 2024}
              k: {type: int, nullable: true, min: 2, max: 10}
              indicators: {type: list, items: {type: str, choices: [rural_income, urbanization_rate]}, min_items: 2}
            rules:                                 # cross-parameter rules, checked after the schema
              - start_year < end_year
              - start_year + 2 <= end_year         # a name may carry an offset: at least three years

    A schema entry has a ``type`` (``int``, ``float``, ``str``, ``bool`` or ``list``) and may add
    ``nullable: true`` (``null`` is allowed), ``min`` / ``max`` (numbers), ``choices`` (allowed
    values), and for lists ``items`` (an entry without ``nullable``), ``min_items``, ``max_items``
    and ``unique: true``. A rule is ``<left> <op> <right>`` with a parameter name or a number on
    either side and ``<``, ``<=``, ``>``, ``>=``, ``==`` or ``!=`` between; a name may carry a
    numeric offset (``start_year + 2``); a rule whose side is ``null`` does not apply.
    """
    params_file = params_file or paths.PARAMS_FILE
    root = root or paths.ROOT
    try:
        spec = yaml.load(params_file.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise RunError(f"{params_file}: not valid YAML: {exc}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("notebooks"), dict):
        raise RunError(f"{params_file}: expected a mapping with a 'notebooks' mapping")
    common = spec.get("global") or {}
    chapters = []
    for name, entry in spec["notebooks"].items():
        where = f"{params_file.name}: notebook {name!r}"
        for key in ("source", "output"):
            if key not in entry:
                raise RunError(f"{where} has no {key!r}")
        merged = {**common, **(entry.get("parameters") or {})}
        schema = entry.get("schema") or {}
        unknown, missing = set(schema) - set(merged), set(merged) - set(schema)
        if unknown:
            raise RunError(f"{where} declares a schema for unknown parameter(s) {sorted(unknown)}")
        if missing:
            raise RunError(f"{where}: parameter(s) {sorted(missing)} have no schema entry")
        for key, item in schema.items():
            _check_entry(f"{where}, parameter {key!r}", item)
        rules = tuple(entry.get("rules") or ())
        for rule in rules:
            _check_rule(where, rule, set(merged))
        chapter = Chapter(name, root / entry["source"], root / entry["output"], merged, schema, rules)
        problems = check(chapter, merged)
        if problems:
            raise RunError(f"{where}: a default fails its schema: {problems[0]}")
        chapters.append(chapter)
    return chapters


# ---- values on the command line ---------------------------------------------------------------

def _expected(spec: dict) -> str:
    """What a value of this schema entry looks like, for messages."""
    kind = spec["type"]
    if "choices" in spec:
        shown = ", ".join(map(str, spec["choices"][:8])) + (", …" if len(spec["choices"]) > 8 else "")
        text = f"one of {shown}"
    elif kind == "list":
        text = f"a comma-separated list of {_expected(spec['items'])}"
    else:
        text = {"int": "an integer", "float": "a number", "str": "text", "bool": "true or false"}[kind]
        if "min" in spec and "max" in spec:
            text += f" from {spec['min']} to {spec['max']}"
        elif "min" in spec:
            text += f" of at least {spec['min']}"
        elif "max" in spec:
            text += f" of at most {spec['max']}"
    return text + (", or null" if spec.get("nullable") else "")


def _scalar(text: str, spec: dict) -> Any:
    """Read one scalar; raise ValueError with what was expected."""
    kind = spec["type"]
    stripped = text.strip()
    if kind == "int":
        if not _INT.match(stripped):
            raise ValueError
        return int(stripped)
    if kind == "float":
        try:
            value = float(stripped)
        except ValueError:
            raise ValueError from None
        if not math.isfinite(value):
            raise ValueError
        return value
    if kind == "bool":
        if stripped.lower() not in {"true", "false"}:
            raise ValueError
        return stripped.lower() == "true"
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse_value(text: str, spec: dict) -> Any:
    """Read a command-line value by its schema entry.

    The forms (those :func:`format_value` writes): ``null`` (also ``None``), ``true`` / ``false``,
    integers, decimal numbers (finite), text as is, and lists as comma-separated items (``a,b,c``;
    ``[]`` is empty).

    >>> parse_value("4", {"type": "int", "nullable": True})
    4
    >>> parse_value("None", {"type": "int", "nullable": True}) is None
    True
    >>> parse_value("a, b", {"type": "list", "items": {"type": "str"}})
    ['a', 'b']

    Raises ``ValueError`` (message: what was expected) for any other text.
    """
    if text.strip() == "":
        raise ValueError(f"empty value: expected {_expected(spec)}")
    if spec.get("nullable") and text.strip().lower() in _NULL:
        return None
    try:
        if spec["type"] != "list":
            return _scalar(text, spec)
        body = text.strip()
        if body.startswith("[") and body.endswith("]"):
            body = body[1:-1]
        if not body.strip():
            return []
        return [_scalar(item.strip(), spec["items"]) for item in body.split(",")]
    except ValueError:
        raise ValueError(f"expected {_expected(spec)}") from None


def format_value(value: Any, spec: dict | None = None) -> str:
    """Write a value as :func:`parse_value` reads it back (the inverse, for every schema type).

    Text is quoted only where reading it bare would change it: surrounding spaces, empty, already
    quoted, or a null word (``null``, ``none``, ``~``) for a parameter that may be null — with
    ``spec`` given and not nullable, ``none`` is written bare, as a choice like ``correction=none``
    reads best.

    >>> format_value(None), format_value(50.0), format_value(["a", "b"]), format_value([])
    ('null', '50.0', 'a,b', '[]')
    >>> format_value("none"), format_value("none", {"type": "str", "choices": ["none", "fdr"]})
    ("'none'", 'none')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        items = [format_value(item, spec.get("items") if spec else None) for item in value]
        bad = [item for item in items if "," in item or item.strip() != item or not item]
        if bad:
            raise ValueError(f"list item(s) {bad} cannot be written on the command line")
        return ",".join(items) if items else "[]"
    text = str(value)
    null_word = text.strip().lower() in _NULL and (spec is None or spec.get("nullable", False))
    quoted = len(text) >= 2 and text[0] == text[-1] and text[0] in "'\""
    if null_word or quoted or text.strip() != text or not text:
        return f"'{text}'"  # quoted: read back as the text, not null, not stripped, not unquoted
    return text


def command_line(chapter: Chapter, parameters: dict[str, Any], verb: str = "build") -> str:
    """The shell command that re-runs ``chapter`` with exactly ``parameters`` (and, for the
    default verb ``build``, re-renders the book).

    Every parameter is written (lists included), each ``-p name=value`` quoted for a POSIX
    shell, so that ``shlex.split`` and the CLI read back the same values.
    """
    parts = ["ruralrev", verb, chapter.name]
    for name, value in parameters.items():
        parts += ["-p", shlex.quote(f"{name}={format_value(value, chapter.spec(name))}")]
    return " ".join(parts)


# ---- checking ---------------------------------------------------------------------------------

def _kind_ok(value: Any, kind: str) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    return {"int": isinstance(value, int), "float": isinstance(value, (int, float)),
            "str": isinstance(value, str), "list": isinstance(value, list)}[kind]


def _value_problems(value: Any, spec: dict) -> list[str]:
    """What is wrong with a value for its entry (empty when it fits)."""
    if value is None:
        return [] if spec.get("nullable") else [f"null is not allowed: expected {_expected(spec)}"]
    kind = spec["type"]
    if not _kind_ok(value, kind) or (kind == "float" and not math.isfinite(value)):
        return [f"expected {_expected(spec)}"]
    if kind == "list":
        problems = []
        bad = [item for item in value if _value_problems(item, spec["items"])]
        if bad:
            problems.append(f"item(s) {', '.join(map(str, bad))} not allowed: each item must be "
                            f"{_expected(spec['items'])}")
        if "min_items" in spec and len(value) < spec["min_items"]:
            problems.append(f"needs at least {spec['min_items']} items, got {len(value)}")
        if "max_items" in spec and len(value) > spec["max_items"]:
            problems.append(f"takes at most {spec['max_items']} items, got {len(value)}")
        if spec.get("unique") and len(set(map(str, value))) != len(value):
            problems.append("items repeat")
        return problems
    if "choices" in spec and value not in spec["choices"]:
        return [f"expected {_expected(spec)}"]
    if "min" in spec and value < spec["min"]:
        return [f"below the minimum {spec['min']}"]
    if "max" in spec and value > spec["max"]:
        return [f"above the maximum {spec['max']}"]
    return []


def _side(text: str, values: dict[str, Any]) -> tuple[Any, str | None]:
    """The value of one side of a rule (None if its parameter is null) and the parameter it names."""
    term = _TERM.match(text)
    if not term:
        return float(text), None
    value = values.get(term["name"])
    if value is not None and term["offset"]:
        offset = float(term["offset"])
        value = value + offset if term["sign"] == "+" else value - offset
    return value, term["name"]


def _rule_problem(rule: str, values: dict[str, Any]) -> str | None:
    match = _RULE.match(rule)
    (left, left_name), (right, right_name) = (_side(match[side], values) for side in ("left", "right"))
    if left is None or right is None:
        return None
    if _OPS[match["op"]](left, right):
        return None
    shown = " ".join(f"{name}={values[name]!r}" for name in dict.fromkeys((left_name, right_name)) if name)
    return f"rule '{' '.join(rule.split())}' fails ({shown})"


def check(chapter: Chapter, values: dict[str, Any]) -> list[str]:
    """Every problem of a full set of values: one line each, naming the chapter and parameter."""
    problems = []
    for name, value in values.items():
        for problem in _value_problems(value, chapter.spec(name)):
            problems.append(f"{chapter.name}: parameter {name}={format_value_safe(value, chapter.spec(name))}: {problem}")
    if not problems:
        for rule in chapter.rules:
            problem = _rule_problem(rule, values)
            if problem:
                problems.append(f"{chapter.name}: {problem}")
    return problems


def format_value_safe(value: Any, spec: dict | None = None) -> str:
    try:
        return format_value(value, spec)
    except ValueError:
        return repr(value)


def validate_parameters(chapter: Chapter, values: dict[str, Any]) -> None:
    """Raise :class:`ParameterError` listing every problem of ``values`` (see :func:`check`)."""
    problems = check(chapter, values)
    if problems:
        raise ParameterError(problems)


def parse_overrides(pairs: list[str], chapter: Chapter) -> dict[str, Any]:
    """Turn ``["year=2020", "k=null"]`` into values typed by the chapter's schema.

    Each pair is read by :func:`parse_value` (a name given twice is refused: which value was meant
    cannot be told); then the full set (defaults updated with the overrides) is checked with
    :func:`check`, rules included. Every problem, of any pair, is one line of the
    :class:`ParameterError` raised.
    """
    overrides: dict[str, Any] = {}
    problems, seen_twice = [], set()
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            problems.append(f"parameter {pair!r}: write it as name=value")
            continue
        if name not in chapter.parameters:
            known = ", ".join(sorted(chapter.parameters)) or "none"
            problems.append(f"{chapter.name}: unknown parameter {name!r} (known: {known})")
            continue
        if sum(other.partition("=")[0].strip() == name for other in pairs) > 1:
            if name not in seen_twice:
                problems.append(f"{chapter.name}: parameter {name!r} is given more than once; give it once")
            seen_twice.add(name)
            continue
        try:
            overrides[name] = parse_value(text, chapter.spec(name))
        except ValueError as exc:
            problems.append(f"{chapter.name}: parameter {name}={text!r}: {exc}")
    problems += check(chapter, {**chapter.parameters, **overrides})
    if problems:
        raise ParameterError(problems)
    return overrides


# ---- the notebooks' own defaults ----------------------------------------------------------------

def notebook_defaults(source: Path) -> dict[str, Any]:
    """The values assigned in a notebook's ``parameters`` cell (literals only), read without running it."""
    import jupytext

    notebook = jupytext.read(source)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            values = {}
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    values[node.targets[0].id] = ast.literal_eval(node.value)
            return values
    raise RunError(f"{source}: no cell tagged 'parameters'")
