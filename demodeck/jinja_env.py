"""The Jinja environment demodeck renders with: Jinja's own, with a cheaper escape and call.

With autoescaping on, every ``{{ value }}`` of a template runs ``escape(value)``, and
every call in one (``format_date(...)``, ``person_url(...)``, a macro) runs
``Context.call``: about 700,000 and 180,000 of them in a 520-deck build. Both do more
than the common case needs: escape makes Markup through two Python-level calls; call
works out on every call whether the callable wants the context passed in, and a macro
binds its arguments the general way, paying a KeyError for each one left to its default.
The versions below take the short way for the common case and hand everything else to
Jinja's own, so the output is the same (tests hold them equal) and the templates stay
untouched.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

import jinja2
import jinja2.runtime
import markupsafe
from jinja2.utils import missing
from markupsafe import Markup

new_str = str.__new__


def _make_escape() -> Callable[[Any], Markup]:
    inner: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)
    if inner is None:  # pragma: no cover - MarkupSafe 2, whose escape() is C already
        return markupsafe.escape

    def escape(value: Any) -> Markup:
        """``markupsafe.escape(value)``: text, Markup and numbers without the detour."""
        kind = type(value)
        if kind is str:
            return new_str(Markup, inner(value))  # what Markup(text) returns
        if kind is Markup:
            # escape() returns an equal copy; strings are immutable (no typing.cast: a call)
            return value  # type: ignore[no-any-return]
        if kind is int or kind is float:  # digits, "-", ".", "e+", inf, nan: nothing to escape
            return new_str(Markup, str(value))
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


# The attributes of a Macro the shortcut below reads, which Macro.__init__ sets (Jinja 3):
# should a later Jinja not set them, macros go through Jinja's own call.
MACRO_FIELDS = {"_func", "_argument_count", "_environment"} <= set(
    jinja2.runtime.Macro.__init__.__code__.co_names)


def _call_macro(macro: jinja2.runtime.Macro, eval_ctx: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
    """``macro(eval_ctx, *args, **kwargs)`` for the calls templates make nearly always
    (``ui.avatar(person, "lg", decorative=true)``): arguments by position, then by name;
    no ``caller``, ``varargs`` or ``kwargs``. Macro.__call__ handles every case, and a
    missing argument costs it a KeyError; each argument left out is passed as ``missing``,
    which the macro's code replaces with its default, as Jinja does. Anything else, and
    every error, goes to Jinja's own."""
    count = macro._argument_count
    given = len(args)
    if (macro.caller or macro.catch_kwargs or macro.catch_varargs or given > count
            or macro._environment.is_async):
        return macro(eval_ctx, *args, **kwargs)
    arguments = list(args)
    if given < count:
        if kwargs:
            rest = macro.arguments[given:]
            for name in kwargs:
                if name not in rest:
                    return macro(eval_ctx, *args, **kwargs)  # Jinja raises its TypeError
            arguments += [kwargs.get(name, missing) for name in rest]
        else:
            arguments += [missing] * (count - given)
    elif kwargs:
        return macro(eval_ctx, *args, **kwargs)
    html = macro._func(*arguments)
    if eval_ctx.autoescape and type(html) is str:
        return new_str(Markup, html)  # Markup(html), without its Python-level checks
    return Markup(html) if eval_ctx.autoescape else html


class Context(jinja2.runtime.Context):
    def call(__self, __obj: Callable[..., Any], *args: Any,  # Jinja's names and signature
             **kwargs: Any) -> Any:
        __traceback_hide__ = True  # as in Jinja's: tracebacks leave this frame out
        kind = type(__obj)
        if kind is jinja2.runtime.Macro and MACRO_TAKES_EVAL_CONTEXT:
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            if MACRO_FIELDS:
                return _call_macro(__obj, __self.eval_ctx, args, kwargs)  # type: ignore[arg-type]
            return __obj(__self.eval_ctx, *args, **kwargs)
        if kind not in PLAIN_CALLABLES or hasattr(__obj, "jinja_pass_arg"):
            return super().call(__obj, *args, **kwargs)
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
