"""Split an lme4/brms formula into its fixed part and its random-effect terms.

formulae (the parser Bambi uses) does the term algebra of every piece: the fixed part
``y ~ x * g`` and the left-hand side of each random term ``1 + t``. This module only finds
the parenthesised ``( lhs | group )`` blocks at the top level of the right-hand side, which
formulae cannot express for our needs (``||``, ``gr(id, cov=K)``, the same grouping factor
under two kernels), and reads their grouping side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import FormulaError
from .gp import GPCall, is_gp_call, parse_gp_call

__all__ = ["RandomTermFormula", "ParsedFormula", "parse_formula"]

_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"
_GR = re.compile(rf"^gr\(\s*({_NAME})\s*,\s*cov\s*=\s*({_NAME})\s*\)$")
_FACTOR = re.compile(rf"^{_NAME}(\s*:\s*{_NAME})*$")


@dataclass(frozen=True)
class RandomTermFormula:
    """One ``(expr | group)`` block after nesting has been expanded.

    Attributes
    ----------
    expr
        Left-hand side, a formulae expression such as ``"1 + Days"``.
    factors
        Columns whose interaction defines the grouping, e.g. ``("a", "b")`` for ``a:b``.
    correlated
        ``False`` for ``||`` (independent coefficients), ``True`` for ``|``.
    kernel
        Name of the kernel in ``gr(id, cov=NAME)``, else ``None``.
    """

    expr: str
    factors: tuple[str, ...]
    correlated: bool
    kernel: str | None = None

    @property
    def group(self) -> str:
        """Label of the grouping factor: ``"a:b"``, or ``"gr(id, cov=K)"`` for kernels."""
        base = ":".join(self.factors)
        return f"gr({base}, cov={self.kernel})" if self.kernel else base


@dataclass(frozen=True)
class ParsedFormula:
    """A formula split into response, fixed part, random terms and ``gp()`` fields."""

    text: str
    response: str
    fixed: str
    random: tuple[RandomTermFormula, ...]
    gp: tuple[GPCall, ...] = ()


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` where it appears outside parentheses."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise FormulaError(f"unbalanced ')' at position {i} in formula term {text!r}")
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
            i += len(sep)
            continue
        i += 1
    if depth != 0:
        raise FormulaError(f"unbalanced '(' in formula term {text!r}")
    parts.append(text[start:])
    return parts


def _group_side(rhs: str, expr: str, correlated: bool, whole: str) -> list[RandomTermFormula]:
    rhs = rhs.strip()
    gr = _GR.match(rhs)
    if gr:
        return [RandomTermFormula(expr, (gr.group(1),), correlated, gr.group(2))]
    if rhs.startswith("gr("):
        raise FormulaError(
            f"cannot read kernel term {rhs!r} in {whole!r}: write it as gr(id, cov=NAME) "
            "with NAME a key of `kernels`"
        )
    levels = [p.strip() for p in rhs.split("/")]
    if not all(levels) or not all(_FACTOR.match(p) for p in levels):
        raise FormulaError(
            f"grouping factor {rhs!r} in {whole!r} is not a column, an interaction a:b, "
            "a nesting a/b or gr(id, cov=NAME)"
        )
    terms, prefix = [], []
    for level in levels:
        prefix = prefix + [f.strip() for f in level.split(":")]
        terms.append(RandomTermFormula(expr, tuple(prefix), correlated))
    return terms


def _random_block(block: str, whole: str) -> list[RandomTermFormula] | None:
    """Parse ``( lhs | rhs )`` or ``( lhs || rhs )``; ``None`` if ``block`` has no bar."""
    inner = block.strip()
    if not (inner.startswith("(") and inner.endswith(")")):
        return None
    inner = inner[1:-1]
    if len(_split_top_level(inner, "|")) == 1:
        return None
    double = _split_top_level(inner, "||")
    if len(double) == 2:
        lhs, rhs, correlated = double[0], double[1], False
    else:
        single = _split_top_level(inner, "|")
        if len(single) != 2:
            raise FormulaError(f"random-effect term {block.strip()!r} in {whole!r} has more than one '|'")
        lhs, rhs, correlated = single[0], single[1], True
    lhs = lhs.strip()
    if not lhs:
        raise FormulaError(f"random-effect term {block.strip()!r} in {whole!r} has nothing left of '|'")
    return _group_side(rhs, lhs, correlated, whole)


def parse_formula(formula: str) -> ParsedFormula:
    """Split ``formula`` into response, fixed part and random terms.

    Parameters
    ----------
    formula
        lme4/brms syntax, e.g. ``"Reaction ~ Days + (Days | Subject)"``.

    Returns
    -------
    ParsedFormula

    Notes
    -----
    ``(e | a/b)`` expands to ``(e | a) + (e | a:b)``. ``(1 + t || g)`` keeps one term whose
    coefficients are independent. ``-``-terms and ``0 +`` stay in the fixed part for
    formulae. An empty fixed part means an intercept only.

    Examples
    --------
    >>> p = parse_formula("y ~ x + (1 + t || g) + (1 | a/b)")
    >>> p.fixed, [t.group for t in p.random]
    ('x', ['g', 'a', 'a:b'])
    """
    if not isinstance(formula, str):
        raise FormulaError(f"formula must be a string, got {type(formula).__name__}")
    sides = _split_top_level(formula, "~")
    if len(sides) != 2 or not sides[0].strip():
        raise FormulaError(f"formula {formula!r} must have the form 'response ~ terms'")
    response, rhs = sides[0].strip(), sides[1].strip()
    if not rhs:
        raise FormulaError(f"formula {formula!r} has no terms right of '~'")
    fixed_parts: list[str] = []
    random: list[RandomTermFormula] = []
    gp: list[GPCall] = []
    for part in _split_top_level(rhs, "+"):
        if not part.strip():
            raise FormulaError(f"empty term (a dangling '+') in formula {formula!r}")
        if is_gp_call(part):
            gp.append(parse_gp_call(part))
            continue
        block = _random_block(part, formula)
        if block is None:
            fixed_parts.append(part.strip())
        else:
            random.extend(block)
    fixed = " + ".join(fixed_parts) if fixed_parts else "1"
    return ParsedFormula(formula, response, fixed, tuple(random), tuple(gp))
