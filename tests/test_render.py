"""The Jinja environment demodeck renders with: its shortcuts for escaping and for calls
from templates must behave exactly as Jinja's own (jinja_env.py: "a cheaper escape and
call for compiled templates")."""

from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from demodeck import jinja_env, render
from demodeck.config import load_config
from demodeck.metrics import deck_metrics
from demodeck.model import Deck, Demo, Metric
from tests.conftest import Project

CI = bool(os.environ.get("CI"))


class Html:
    def __html__(self) -> str:
        return "<b>kept</b>"


class Text(str):
    pass


class Safe(Markup):
    pass


VALUES = st.one_of(
    st.text(), st.integers(), st.booleans(), st.floats(allow_nan=False), st.none(),
    st.text().map(Markup), st.text().map(Text), st.text().map(Safe), st.just(Html()),
    st.lists(st.text(max_size=3), max_size=3),
)


@settings(max_examples=400, deadline=None, derandomize=CI)
@given(VALUES)
def test_escape_equals_markupsafe(value: Any) -> None:
    ours, theirs = jinja_env.escape(value), markupsafe.escape(value)
    assert ours == theirs
    assert type(ours) is Markup is type(theirs)


def test_escape_escapes_markup_characters() -> None:
    assert (jinja_env.escape("<a href=\"x\">'&'</a>")
            == "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    assert jinja_env.escape(Markup("<b>")) == "<b>"
    assert jinja_env.escape(-12) == "-12"


# A template that prints text, numbers and Markup, and calls every kind of callable Jinja
# treats differently: plain functions, bound and built-in methods, memoised functions,
# macros (with and without caller), and functions that want the context, the environment
# or the eval context passed in, or that raise StopIteration.
TEMPLATE = """\
{%- macro box(x, size="md") -%}<i class="{{ size }}">{{ x }}</i>{%- endmacro -%}
{%- macro wrap() -%}[{{ caller() }}]{%- endmacro -%}
{%- macro three(a, b=2, c=none) -%}{{ a if a is defined else "?" }}/{{ b }}/{{ c }}{%- endmacro -%}
{%- macro rest() -%}{{ varargs|join }};{{ kwargs|dictsort }}{%- endmacro -%}
{{ text }}|{{ number }}|{{ safe }}|{{ none }}|{{ 2.5 }}
{{ plain(text) }}|{{ method() }}|{{ builtin("x") }}|{{ memo(3) }}
{{ box(text) }}|{{ box(1, size="lg") }}|{{ box(x=2) }}|{{ box(size="sm", x=3) }}
{{ three(1) }}|{{ three(1, 5) }}|{{ three(1, c="<c>") }}|{{ three(1, 2, 3) }}|{{ three() }}
{{ rest(1, 2, k="v") }}|{{ rest() }}
{{ with_context("who") }}|{{ with_env() }}|{{ with_eval() }}|{{ stop() is undefined }}
{% for item in items %}{% set local = item * 2 %}
{{ with_context("local") }},{{ box(local) }};{% endfor %}
{% call wrap() %}{{ text }}{% endcall %}|{{ callable_object() }}|{{ context_object() }}
{% set ns = namespace() %}
{% autoescape false %}{% set ns.boxed = box(text) %}{{ plain(text) }}{% endautoescape %}
|{{ ns.boxed }}
"""


@jinja2.pass_context
def _with_context(context: Any, name: str) -> str:
    return f"{name}={context.get(name, '-')}"


@jinja2.pass_environment
def _with_env(env: jinja2.Environment) -> str:
    return f"env:{env.autoescape}"


@jinja2.pass_eval_context
def _with_eval(eval_ctx: Any) -> str:
    return f"eval:{eval_ctx.autoescape}"


def _stop() -> None:
    raise StopIteration


class _Callable:
    def __call__(self) -> str:
        return "<called>"


class _ContextCallable:
    @jinja2.pass_context
    def __call__(self, context: Any) -> str:
        return f"text={context['text']}"


def _render(env: jinja2.Environment) -> str:
    env.globals.update(plain=lambda x: f"<{x}>", method="a<b".upper, builtin=len,
                       memo=functools.lru_cache(maxsize=None)(lambda n: n * n),
                       with_context=_with_context, with_env=_with_env, with_eval=_with_eval,
                       stop=_stop, callable_object=_Callable(),
                       context_object=_ContextCallable())
    return env.from_string(TEMPLATE).render(
        text="Zoë & <Ada>", number=42, safe=Markup("<em>ok</em>"), none=None, who="me",
        items=[1, 2])


def test_templates_render_as_with_jinjas_own_environment() -> None:
    options: dict[str, Any] = {"autoescape": True, "undefined": jinja2.StrictUndefined,
                               "trim_blocks": True, "lstrip_blocks": True}
    ours = _render(jinja_env.Environment(**options))
    theirs = _render(jinja2.Environment(**options))
    assert ours == theirs
    assert "Zoë &amp; &lt;Ada&gt;|42|<em>ok</em>|None|2.5" in ours
    assert "1/2/None|1/5/None|1/2/&lt;c&gt;|1/2/3|?/2/None" in ours  # defaults, escaping
    assert "who=me" in ours and "local=2" in ours and "local=4" in ours
    assert "env:True|eval:True|True" in ours
    assert "text=Zoë &amp; &lt;Ada&gt;" in ours
    # a macro called where autoescaping is off returns plain text, escaped when printed
    assert '<Zoë & <Ada>>|&lt;i class=&#34;md&#34;&gt;Zoë &amp;amp;' in ours


@pytest.mark.parametrize("call", [
    "box(1, 2, 3)", "box(1, colour='red')", "box(1, x=2)", "box(1, 'lg', size='sm')",
    "three(1, 2, 3, 4)", "three(d=1)", "three(1, caller=2)", "box(caller=1)",
])
def test_bad_macro_calls_fail_as_with_jinjas_own_environment(call: str) -> None:
    """The shortcut for macro calls hands every call it does not take to Jinja: a wrong
    call fails with Jinja's own message."""
    source = TEMPLATE.split("\n")[0] + TEMPLATE.split("\n")[2] + "{{ " + call + " }}"
    errors = []
    for env in (jinja_env.Environment(autoescape=True), jinja2.Environment(autoescape=True)):
        with pytest.raises(TypeError) as caught:
            env.from_string(source).render()
        errors.append(str(caught.value))
    assert errors[0] == errors[1]


def test_the_renderer_uses_the_shortcuts(project: Project) -> None:
    renderer = render.Renderer(load_config(project.root))
    template = renderer.env.get_template("deck.html")
    assert template.root_render_func.__globals__["escape"] is jinja_env.escape
    assert isinstance(renderer.env.context_class, type)
    assert issubclass(renderer.env.context_class, jinja_env.Context)


def test_no_plain_callable_type_takes_the_context_unasked() -> None:
    """The shortcut skips Jinja's check of ``__call__`` for these types: their calls
    must not carry the mark that asks for a context (a macro's does: it is given the eval
    context, as Jinja's call does)."""
    for kind in jinja_env.PLAIN_CALLABLES:
        assert not hasattr(kind.__call__, "jinja_pass_arg"), kind
    assert jinja2.runtime.Macro not in jinja_env.PLAIN_CALLABLES
    assert jinja_env.MACRO_TAKES_EVAL_CONTEXT  # else macros go through Jinja's own call
    assert jinja_env.MACRO_FIELDS  # else they skip the shortcut for macro calls


def test_format_numbers_writes_each_value_as_format_number_does() -> None:
    assert render.format_numbers((1204, 998.456, -3, 7.0)) == "1,204, 998.46, -3, 7.0"
    assert render.format_numbers(()) == ""


def test_a_sparkline_names_its_values(tmp_path: Path) -> None:
    """The text alternative of a metric's sparkline lists the values it draws."""
    def deck(day: int, users: int | float) -> Deck:
        demo = Demo(id="d", title="D", people=(), features=(), why="", could_be_better="")
        return Deck(date=dt.date(2026, 11, day), title="T", demos=(demo,),
                    metrics=(Metric("active_users", users),))

    history = [deck(2, 1500), deck(9, 20.125), deck(16, 31000)]
    renderer = render.Renderer(load_config(tmp_path))
    html = renderer.deck_page(history[-1], render.DeckContext(history[1],
                                                              deck_metrics(history))).data
    assert b'aria-label="Last 3 decks: 1,500, 20.12, 31,000"' in html
