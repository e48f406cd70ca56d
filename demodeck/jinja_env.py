"""The Jinja environment demodeck renders with: Jinja's own, with a cheaper escape and call.

With autoescaping on, every ``{{ value }}`` of a template runs ``escape(value)``, and
every call in one (``format_date(...)``, ``person_url(...)``, a macro) runs
``Context.call``: about 700,000 and 180,000 of them in a 520-deck build. Both do more
than the common case needs: escape makes Markup through two Python-level calls, and
call works out on every call whether the callable wants the context passed in. The
versions below take the short way for the common case and hand everything else to
Jinja's own, so the output is the same (tests hold them equal) and the templates stay
untouched.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any, cast

import jinja2
import jinja2.runtime
import markupsafe
from markupsafe import Markup


def _make_escape() -> Callable[[Any], Markup]:
    inner: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)
    if inner is None:  # pragma: no cover - MarkupSafe 2, whose escape() is C already
        return markupsafe.escape
    new_str = str.__new__

    def escape(value: Any) -> Markup:
        """``markupsafe.escape(value)``: text, Markup and whole numbers without the detour."""
        kind = type(value)
        if kind is str:
            return new_str(Markup, inner(value))  # what Markup(text) returns
        if kind is Markup:
            return cast(Markup, value)  # escape() returns an equal copy; strings are immutable
        if kind is int:
            return new_str(Markup, str(value))  # digits and "-": nothing to escape
        return markupsafe.escape(value)

    return escape


escape = _make_escape()


class Template(jinja2.Template):
    @classmethod
    def from_code(cls, environment: jinja2.Environment, code: Any,
                  globals: Any, uptodate: Callable[[], bool] | None = None) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        # compiled templates look ``escape`` up among their module's globals at each use
        template.root_render_func.__globals__["escape"] = escape
        return template


# Callables that take no context, environment or eval context unless marked so (a
# function decorated with jinja2.pass_context has the mark ``jinja_pass_arg``).
PLAIN_CALLABLES = frozenset({
    types.FunctionType, types.BuiltinFunctionType, types.MethodType,
    type(functools.lru_cache(lambda: None)),
})
# A macro's call is marked to take the eval context (whether autoescaping is on where it
# is called); Context.call passes it in first.
MACRO_TAKES_EVAL_CONTEXT = getattr(getattr(jinja2.runtime.Macro.__call__, "jinja_pass_arg",
                                            None), "name", None) == "eval_context"


class Context(jinja2.runtime.Context):
    def call(__self, __obj: Callable[..., Any], *args: Any,  # Jinja's names and signature
             **kwargs: Any) -> Any:
        kind = type(__obj)
        if kind is jinja2.runtime.Macro and MACRO_TAKES_EVAL_CONTEXT:
            args = (__self.eval_ctx, *args)
        elif kind not in PLAIN_CALLABLES or hasattr(__obj, "jinja_pass_arg"):
            return super().call(__obj, *args, **kwargs)
        __traceback_hide__ = True  # as in Jinja's: tracebacks leave this frame out
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined("value was undefined because a callable "
                                                "raised a StopIteration exception")


class Environment(jinja2.Environment):
    template_class = Template
    context_class = Context
