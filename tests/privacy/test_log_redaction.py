"""The production log formatter masks ID numbers wherever they appear: message, arguments,
exceptions; plain and JSON."""

from __future__ import annotations

import io
import json
import logging
from datetime import date

from cebot.logging_setup import RedactingFormatter, configure_logging
from core.idnumber import ID_NUMBER_PATTERN, make_id_number, mask_id_number
from services.logcontext import request_scope

NUMBER = make_id_number("450103", date(1985, 3, 2), 123)


def _log_everything(logger: logging.Logger) -> None:
    logger.debug("update %s", {"text": NUMBER})
    logger.info(f"inline {NUMBER}.")
    try:
        raise ValueError(f"bad value {NUMBER}")
    except ValueError:
        logger.exception("failed")


def test_plain_lines_carry_the_request_id_and_no_id_number() -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(RedactingFormatter(as_json=False))
    logger = logging.getLogger("cebot.test.plain")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    with request_scope("u42"):
        _log_everything(logger)
    text = buffer.getvalue()
    assert not ID_NUMBER_PATTERN.search(text)
    assert text.count(mask_id_number(NUMBER)) == 3 and "[u42]" in text
    assert "ValueError" in text  # the traceback is kept, only masked


def test_json_lines_parse_and_are_masked() -> None:
    buffer = io.StringIO()
    configure_logging("DEBUG", as_json=True, stream=buffer)
    try:
        _log_everything(logging.getLogger("cebot.test.json"))
    finally:
        configure_logging("WARNING")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]
    assert len(lines) == 3 and {e["level"] for e in lines} == {"DEBUG", "INFO", "ERROR"}
    assert not ID_NUMBER_PATTERN.search(buffer.getvalue())
    assert "exception" in lines[-1]
