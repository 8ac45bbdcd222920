"""Flow text templates: placeholders, formats, escapes and the errors the loader reports."""

from __future__ import annotations

import pytest

from helpline.core.ivr.template import Placeholder, Template, TemplateError


def test_render_variables_constants_and_formats() -> None:
    tpl = Template.parse("{{literal}} #{n:digits} x{count:number} {const.base} {unset}.")
    assert tpl.names == ("n", "count", "const.base", "unset")
    assert tpl.render({"n": "12 3", "count": "007"}, {"base": "http://h"}) == "{literal} #1 2 3 x7 http://h ."


def test_escape_applies_to_call_variables_only() -> None:
    tpl = Template.parse("{const.base}/p/{n}")
    assert tpl.render({"n": "a/b"}, {"base": "http://h:1"}, escape=lambda v: v.replace("/", "%2F")) == (
        "http://h:1/p/a%2Fb"
    )


def test_number_format_leaves_text_alone() -> None:
    assert Template.parse("{x:number}").render({"x": "abc"}, {}) == "abc"
    assert Template.parse("{x:number}").parts == (Placeholder("x", "number"),)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Hello {name", "unclosed '{' at position 7"),
        ("Hello }", "unmatched '}' at position 7"),
        ("{na me}", "bad variable name 'na me'"),
        ("{n:shout}", "unknown format 'shout' for 'n' (known: digits, number)"),
        ("{a.b}", "only 'const.' names may contain a dot"),
        ("{}", "bad variable name ''"),
    ],
)
def test_parse_errors_say_what_and_where(source: str, message: str) -> None:
    with pytest.raises(TemplateError) as excinfo:
        Template.parse(source)
    assert message in str(excinfo.value)
