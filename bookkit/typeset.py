"""How a glued number reads in the prose: the same rule for the HTML page and the exported notebook.

Python's formatting writes `-0.7000`, `2.39e-04` and `60000`; a reader expects −0.7000, 2.39 × 10⁻⁴
and 60,000. `number()` rewrites the text of one glued value and leaves anything that is not a
single number (a dtype, a shape, a class name) untouched.
"""

from __future__ import annotations

import re

NUMBER = re.compile(
    r"(?P<sign>[-+]?)(?P<whole>\d[\d,]*)(?P<fraction>\.\d*)?"
    r"(?:[eE](?P<exponent>[-+]?\d+))?(?P<percent>%?)"
)
MINUS = "\N{MINUS SIGN}"
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def number(text: str) -> str:
    """Typeset `text` if it is one number; return it unchanged otherwise.

    - A minus sign is a true minus (−), not a hyphen.
    - Scientific notation becomes a power of ten: 2.39e-04 → 2.39 × 10⁻⁴, 1e-08 → 10⁻⁸.
    - Whole parts of four or more digits are grouped with commas: 60000 → 60,000.
    """
    match = NUMBER.fullmatch(text.strip())
    if match is None:
        return text
    whole = f"{int(match['whole'].replace(',', '')):,}"
    mantissa = whole + (match["fraction"] or "")
    sign = MINUS if match["sign"] == "-" else ""
    exponent = int(match["exponent"]) if match["exponent"] else 0
    if exponent == 0:
        return sign + mantissa + match["percent"]
    power = "10" + str(exponent).translate(SUPERSCRIPT)
    if mantissa == "1":  # 1e-08 reads as 10⁻⁸
        return sign + power + match["percent"]
    return f"{sign}{mantissa} × {power}{match['percent']}"
