"""Text templates of flows: ``"Parcel {tracking_number:digits} is {parcel_status}"``.

A placeholder is ``{name}`` or ``{name:format}``; ``{{`` and ``}}`` are literal braces. Names
are call variables, or ``const.NAME`` for the flow's constants. Only these formats exist:

- ``digits``: each character separated by a space, so a TTS engine says "one two three"
  instead of "one hundred twenty-three";
- ``number``: a whole number without leading zeros (text that is not a number is left as is).

Unlike ``str.format`` there is no attribute or index access: a template can only read
variables, whatever the flow author (or a caller's input) puts in them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["FORMATS", "Placeholder", "Template", "TemplateError"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


class TemplateError(ValueError):
    """A template that cannot be parsed; the message says what and where."""


def _digits(value: str) -> str:
    return " ".join(ch for ch in value if not ch.isspace())


def _number(value: str) -> str:
    stripped = value.strip()
    if stripped.lstrip("-").isdigit():
        return str(int(stripped))
    return value


FORMATS: Mapping[str, Callable[[str], str]] = {"digits": _digits, "number": _number}


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str
    format: str | None = None


@dataclass(frozen=True, slots=True)
class Template:
    source: str
    parts: tuple[str | Placeholder, ...]

    @classmethod
    def parse(cls, source: str) -> Template:
        parts: list[str | Placeholder] = []
        literal: list[str] = []
        i = 0
        while i < len(source):
            ch = source[i]
            if ch in "{}" and source[i + 1 : i + 2] == ch:
                literal.append(ch)
                i += 2
                continue
            if ch == "}":
                raise TemplateError(f"unmatched '}}' at position {i + 1} (write '}}}}' for a literal brace)")
            if ch == "{":
                end = source.find("}", i)
                if end < 0:
                    raise TemplateError(f"unclosed '{{' at position {i + 1}")
                parts.extend([("".join(literal))] if literal else [])
                literal = []
                parts.append(_placeholder(source[i + 1 : end], i + 1))
                i = end + 1
                continue
            literal.append(ch)
            i += 1
        if literal:
            parts.append("".join(literal))
        return cls(source, tuple(parts))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts if isinstance(p, Placeholder))

    def render(
        self,
        variables: Mapping[str, str],
        constants: Mapping[str, str],
        escape: Callable[[str], str] | None = None,
    ) -> str:
        """Fill the placeholders; unset variables render as empty text.

        ``escape`` is applied to call variables only (constants are the flow author's trusted
        text), e.g. percent-encoding when the template is a URL.
        """
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            if part.name.startswith("const."):
                value = constants.get(part.name[len("const.") :], "")
                trusted = True
            else:
                value = variables.get(part.name, "")
                trusted = False
            if part.format is not None:
                value = FORMATS[part.format](value)
            out.append(value if trusted or escape is None else escape(value))
        return "".join(out)


def _placeholder(inner: str, position: int) -> Placeholder:
    name, _, fmt = inner.partition(":")
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise TemplateError(f"bad variable name {name!r} in placeholder at position {position}")
    if name.count(".") and not name.startswith("const."):
        raise TemplateError(f"{name!r}: only 'const.' names may contain a dot")
    if ":" in inner and fmt.strip() not in FORMATS:
        raise TemplateError(
            f"unknown format {fmt.strip()!r} for {name!r} (known: {', '.join(sorted(FORMATS))})"
        )
    return Placeholder(name, fmt.strip() if ":" in inner else None)
