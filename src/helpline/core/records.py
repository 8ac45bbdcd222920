"""A quicker constructor for the frozen, slotted dataclasses the core emits by the thousand.

A frozen dataclass's generated ``__init__`` stores each field through ``object.__setattr__``
(its own ``__setattr__`` refuses), which costs about a third of a microsecond per field: a
routing decision builds several facts and commands, so that alone was a visible share of it.
``quick_init`` replaces ``__init__`` with one that stores through the slots' own descriptors,
which skips the attribute lookup. Everything else stays as ``dataclass`` made it: same
signature and defaults, still frozen (assignment raises ``FrozenInstanceError``), same
equality, hash, repr, ``fields()`` and ``replace()``.

The records also write their ``__init__`` out for the compiled core (``helpline.native``); a
class compiled by mypyc keeps it, since mypyc made it native code, and interpreted it is replaced
here (it assigns to frozen fields, which only a compiled class allows).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Give the frozen, slotted dataclass ``cls`` a quicker ``__init__`` (see the module docstring).

    Compiled by mypyc, ``cls`` keeps the ``__init__`` written in its body: mypyc compiles that one to
    native code, while a dataclass-made ``__init__`` would run interpreted. Interpreted, that
    written-out ``__init__`` (which assigns to frozen fields) is replaced here.
    """
    if "__mypyc_attrs__" in cls.__dict__:
        return cls
    namespace: dict[str, Any] = {"_MISSING": dataclasses.MISSING}
    args: list[str] = []
    body: list[str] = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init or f.kw_only:
            raise TypeError(f"{cls.__name__}.{f.name}: quick_init handles plain init fields only")
        name = f.name
        namespace[f"_set_{name}"] = cls.__dict__[name].__set__
        if f.default is not dataclasses.MISSING:
            namespace[f"_d_{name}"] = f.default
            args.append(f"{name}=_d_{name}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_f_{name}"] = f.default_factory
            args.append(f"{name}=_MISSING")
            body.append(f"    if {name} is _MISSING: {name} = _f_{name}()")
        else:
            args.append(name)
        body.append(f"    _set_{name}(self, {name})")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: quick_init does not run __post_init__")
    source = f"def __init__(self, {', '.join(args)}) -> None:\n" + ("\n".join(body) or "    pass") + "\n"
    exec(source, namespace)  # how dataclasses builds its own __init__
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


def quick_init_all(*classes: type[Any]) -> None:
    for cls in classes:
        quick_init(cls)
