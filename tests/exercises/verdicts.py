"""What every checker test asks of a rejection: a falsy verdict that explains itself in one line."""


def rejected(verdict) -> str:
    """The one-line message of a verdict that must reject the answer."""
    assert not verdict, (
        f"a wrong answer must be rejected, but the checker said {verdict!r}"
    )
    text = repr(verdict)
    assert text.startswith("❌ Not yet: ") and "\n" not in text, (
        "one line, starting with ❌"
    )
    return text
