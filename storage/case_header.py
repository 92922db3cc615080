"""The case header: whose case an instance or task is about, for worklists, case pages and the API.

One query for any number of instances: the V-nummer (business key), ``naam``, ``azc`` and
``koppeldatum`` from the instance's variables (read in SQL, so a large variable set is never
loaded), the scenario, and the gemeente with its organisation name. ``scope`` confines the read to
one gemeente, as everywhere in ``storage/listing.py``: an instance outside it is simply absent.

The header holds personal data (naam, V-nummer): show it only to those who may see it, and never
put it in a URL, a log line or an event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, select

from storage.schema import organisations, process_instances

#: Instance variables the header reads, as the koppeling (TVS event or API start) sets them.
HEADER_VARIABLES = ("naam", "azc", "koppeldatum")


@dataclass(frozen=True)
class CaseHeader:
    """Whose case, where and since when. ``naam`` and ``v_nummer`` are personal data."""

    instance_id: str
    naam: str | None = field(repr=False)
    v_nummer: str | None = field(repr=False)
    azc: str | None
    koppeldatum: date | None
    scenario: str | None
    gemeente: str | None
    gemeente_naam: str | None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date(value: Any) -> date | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


_VARIABLES = process_instances.c.variables
# built once (the worklist, the case page and every step's answer read it)
_HEADERS = (
    select(
        process_instances.c.id,
        process_instances.c.business_key,
        process_instances.c.scenario,
        process_instances.c.gemeente,
        organisations.c.name.label("gemeente_naam"),
        *(_VARIABLES[name].as_string().label(name) for name in HEADER_VARIABLES),
    )
    .select_from(process_instances)
    .outerjoin(organisations, organisations.c.code == process_instances.c.gemeente)
    .where(process_instances.c.id.in_(bindparam("ids", expanding=True)))
)
_HEADERS_SCOPED = _HEADERS.where(process_instances.c.gemeente == bindparam("scope"))


def case_headers(
    conn: Connection, instance_ids: Iterable[str], *, scope: str | None
) -> dict[str, CaseHeader]:
    """The header of each instance in ``instance_ids`` that ``scope`` may see, by instance id."""
    ids = list(dict.fromkeys(instance_ids))
    if not ids:
        return {}
    query = _HEADERS if scope is None else _HEADERS_SCOPED
    params: dict[str, Any] = {"ids": ids} if scope is None else {"ids": ids, "scope": scope}
    rows = conn.execute(query, params).all()  # columns in the order of _HEADERS
    return {
        instance_id: CaseHeader(
            instance_id,
            _text(naam),
            business_key,
            _text(azc),
            _date(koppeldatum),
            scenario,
            gemeente,
            gemeente_naam,
        )
        for instance_id, business_key, scenario, gemeente, gemeente_naam, naam, azc, koppeldatum in rows
    }


def header_as_written(
    instance_id: str,
    *,
    business_key: str | None,
    scenario: str | None,
    gemeente: str | None,
    variables: Mapping[str, Any],
    gemeente_naam: str,
    scope: str | None,
) -> tuple[bool, CaseHeader | None]:
    """The header of an instance from the values just written, without a read: ``(True, header)``.

    ``gemeente_naam`` is the name of the (registered) organisation ``gemeente``. The answer is the
    one :func:`case_headers` would read, so it is given only when that is sure: when each header
    variable is a text or absent (the database reads other JSON values in its own way); else
    ``(False, None)`` and the caller reads.
    """
    values = [variables.get(name) for name in HEADER_VARIABLES]
    if any(value is not None and not isinstance(value, str) for value in values):
        return False, None
    if scope is not None and gemeente != scope:
        return True, None
    naam, azc, koppeldatum = values
    return True, CaseHeader(
        instance_id=instance_id,
        naam=_text(naam),
        v_nummer=business_key,
        azc=_text(azc),
        koppeldatum=_date(koppeldatum),
        scenario=scenario,
        gemeente=gemeente,
        gemeente_naam=gemeente_naam,
    )


def case_header(conn: Connection, instance_id: str, *, scope: str | None) -> CaseHeader | None:
    """The header of one instance, or None when it does not exist or lies outside ``scope``."""
    return case_headers(conn, [instance_id], scope=scope).get(instance_id)
